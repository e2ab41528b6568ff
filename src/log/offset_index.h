// The sparse offset index of one segment (the `.index` file): entries of (offset relative to
// the segment's base offset, byte position of the batch in the `.log` file), one every
// index.interval.bytes of log, in increasing order. Kafka's on-disk format: 8 bytes per
// entry, both int32 big-endian. We keep it in memory as a vector and write the file whole
// when the segment is sealed (simpler than Kafka's preallocated mmap; an index is about
// 1/500 of its log), so a file is either a complete old version or absent, and the active
// segment's index is rebuilt by recovery. Not thread-safe; owned by its Segment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::log {

class OffsetIndex {
 public:
  struct Entry {
    int32_t relative_offset;
    int32_t position;
    bool operator==(const Entry&) const = default;
  };
  static constexpr size_t kEntrySize = 8;

  /// Adds an entry; relative_offset and position must exceed the last entry's.
  void append(int32_t relative_offset, int32_t position) {
    entries_.push_back({relative_offset, position});
  }
  /// The position of the last entry whose relative offset is <= `relative_offset`, or 0
  /// (the segment's first batch) when there is none: where a scan for that offset starts.
  uint32_t lookup(int64_t relative_offset) const;
  void clear() { entries_.clear(); }
  const std::vector<Entry>& entries() const { return entries_; }

  std::string serialize() const;
  /// Parses a `.index` file. Returns false (and leaves the index empty) when the bytes are
  /// not a whole number of entries, are not strictly increasing, or point outside
  /// [0, log_size) / beyond `max_relative_offset`.
  bool parse(std::string_view bytes, uint64_t log_size, int64_t max_relative_offset);

 private:
  std::vector<Entry> entries_;
};

}  // namespace sluice::log
