// The committed offsets of every consumer group, durable across restarts and kill -9.
//
// Stored in `<data-dir>/__consumer_offsets/offsets.log` (a directory the LogStore ignores:
// its name is not `<topic>-<partition>`), an append-only file of CRC-checked frames, one
// per OffsetCommit / OffsetDelete / DeleteGroups / topic deletion, so that a request is
// applied whole or not at all. Opening reads every frame into memory, stops at the first
// torn or corrupt one (the tail a crash left) and rewrites the file with only the live
// offsets (atomically: temp file, fsync, rename); the file is rewritten the same way when
// it grows past 4x the live data. Frame: u32 length | u32 crc32c(payload) | payload.
//
// Why not a `__consumer_offsets` topic as Kafka has: committed offsets are a small
// key-value map whose latest value is all that matters, which wants compaction, which our
// log does not have yet; and an internal topic would show in Metadata, topic admin and
// retention, which would all need to learn about it. The file costs one write (and with
// FlushPolicy::kEveryBatch one fsync) per request, like a log append.
//
// Flushing follows the broker's policy: with kEveryBatch a successful commit() has been
// fsynced; with kInterval, flush_if_due() (called by the broker's maintenance timer)
// fsyncs within the interval. Not thread-safe: used from the broker's thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "log/file_io.h"
#include "log/log_config.h"
#include "log/status.h"

namespace sluice::broker::group {

struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = -1;
  bool operator==(const CommittedOffset&) const = default;
};

/// (topic, partition) → committed offset, ordered by topic then partition.
using GroupOffsets = std::map<std::pair<std::string, int32_t>, CommittedOffset>;

class OffsetStore {
 public:
  struct OpenResult {
    log::Status status;
    std::unique_ptr<OffsetStore> store;
    bool ok() const { return status.ok(); }
  };

  /// Opens (creating) `dir`/offsets.log, recovers it and compacts it. Fails with
  /// kStorageError when the directory or file cannot be read or written. The file is
  /// compacted again once larger than max(compact_min_bytes, 4 x the live offsets).
  static OpenResult open(const std::filesystem::path& dir, log::FlushPolicy flush,
                         uint64_t compact_min_bytes = 16u * 1024 * 1024);

  struct Entry {
    std::string topic;
    int32_t partition = 0;
    CommittedOffset value;
  };
  /// Stores the offsets of one OffsetCommit, all or none. kStorageError when the write
  /// (or the fsync the policy asks for) fails; the offsets are then unchanged.
  log::Status commit(std::string_view group, const std::vector<Entry>& entries);
  /// Removes some of a group's offsets (OffsetDelete).
  log::Status remove(std::string_view group,
                     const std::vector<std::pair<std::string, int32_t>>& partitions);
  /// Removes every offset of the group (DeleteGroups).
  log::Status remove_group(std::string_view group);
  /// Removes every group's offsets of a deleted topic.
  log::Status remove_topic(std::string_view topic);

  const CommittedOffset* find(std::string_view group, const std::string& topic,
                              int32_t partition) const;
  /// nullptr when the group has no offsets.
  const GroupOffsets* group(std::string_view group) const;
  bool has_group(std::string_view group) const { return group_offsets(group) != nullptr; }
  /// Every group with committed offsets, sorted.
  std::vector<std::string> groups() const;

  /// fsyncs unflushed frames (FlushPolicy::kInterval).
  log::Status flush();
  log::Status flush_if_due(int64_t now_ms);
  /// For a flush on another thread (log::LogFlusher): when flush_if_due would flush, counts
  /// the frames so far as flushed and returns the file to fsync; nullptr when none is due.
  std::shared_ptr<log::FileHandle> take_due_flush(int64_t now_ms);
  uint64_t file_bytes() const { return file_bytes_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  OffsetStore(std::filesystem::path path, log::FlushPolicy flush, uint64_t compact_min_bytes);
  log::Status load();
  log::Status rewrite();
  log::Status append(const std::string& payload);
  const GroupOffsets* group_offsets(std::string_view group) const;
  void apply(std::string_view payload);

  std::filesystem::path path_;
  log::FlushPolicy flush_;
  std::shared_ptr<log::FileHandle> file_;
  uint64_t file_bytes_ = 0;
  uint64_t compact_min_bytes_;
  uint64_t compact_at_bytes_ = 0;
  int64_t unflushed_since_ms_ = -1;
  std::map<std::string, GroupOffsets, std::less<>> groups_;
};

}  // namespace sluice::broker::group
