// The sparse time index of one segment (the `.timeindex` file): entries of (largest batch
// max-timestamp seen so far in the segment, relative offset of the batch that first reached
// it), strictly increasing in both. Kafka's on-disk format: 12 bytes per entry, int64 +
// int32 big-endian. The last entry is the segment's largest timestamp once the segment is
// sealed. In memory like OffsetIndex (see there). Not thread-safe; owned by its Segment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::log {

class TimeIndex {
 public:
  struct Entry {
    int64_t timestamp;
    int32_t relative_offset;
    bool operator==(const Entry&) const = default;
  };
  static constexpr size_t kEntrySize = 12;

  /// Adds an entry if `timestamp` exceeds the last entry's; otherwise does nothing.
  void maybe_append(int64_t timestamp, int32_t relative_offset);
  /// The relative offset of the last entry whose timestamp is < `timestamp`: every batch
  /// before it has a smaller max timestamp, so a search for the first batch with max
  /// timestamp >= `timestamp` may start there. nullopt: start at the segment's beginning.
  std::optional<int32_t> lookup_before(int64_t timestamp) const;
  /// The last entry's timestamp, or -1 when empty.
  int64_t last_timestamp() const { return entries_.empty() ? -1 : entries_.back().timestamp; }
  void clear() { entries_.clear(); }
  const std::vector<Entry>& entries() const { return entries_; }

  std::string serialize() const;
  /// Parses a `.timeindex` file. Returns false (and leaves the index empty) when the bytes
  /// are not whole entries, not strictly increasing, or beyond `max_relative_offset`.
  bool parse(std::string_view bytes, int64_t max_relative_offset);

 private:
  std::vector<Entry> entries_;
};

}  // namespace sluice::log
