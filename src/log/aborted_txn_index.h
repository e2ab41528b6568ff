// The aborted transactions of one partition (Kafka's transaction index): for each abort
// marker in the log, the producer id, the offset of the transaction's first batch in the
// partition and the marker's offset. A read_committed Fetch returns the entries that
// overlap the fetched range, so that consumers drop those producers' batches up to the
// marker.
//
// Stored in `<partition dir>/aborted.txnindex` (not a segment file name, so segments and
// their indexes ignore it) as fixed 28-byte entries: producer id int64 | first offset
// int64 | marker offset int64 | crc32c uint32 of the 24 bytes before it, big-endian.
// Appended by PartitionLog after an abort marker is written; fsynced with the log's
// flushes. Opening drops a torn or corrupt tail and the entries whose marker is past the
// log end (a crash cut the log shorter); PartitionLog re-adds the entries of abort markers
// it finds when it scans the log after its producer state snapshot.
//
// Not thread-safe: owned by one PartitionLog.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "log/file_io.h"
#include "log/producer_state.h"
#include "log/status.h"

namespace sluice::log {

struct AbortedTxn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;  // the abort marker's offset
  bool operator==(const AbortedTxn&) const = default;
};

class AbortedTxnIndex {
 public:
  static constexpr const char* kFileName = "aborted.txnindex";
  static constexpr size_t kEntryBytes = 28;

  /// Opens (creating) the index in `dir`, keeping the entries whose marker is below
  /// `log_end_offset`. kStorageError when the file cannot be read or rewritten.
  static std::unique_ptr<AbortedTxnIndex> open(const std::filesystem::path& dir,
                                               int64_t log_end_offset, Status& status);

  /// Adds an entry (markers come in offset order; an entry for a marker already indexed
  /// is ignored). Written, not fsynced.
  Status append(const AbortedTxn& txn);
  /// fsyncs appended entries.
  Status sync();
  bool contains_marker(int64_t last_offset) const;

  /// The entries a fetch of [from, upper) must return: marker at or after `from` and
  /// first offset before `upper`, in marker order.
  std::vector<AbortedTxn> overlapping(int64_t from, int64_t upper) const;
  const std::vector<AbortedTxn>& entries() const { return entries_; }

 private:
  AbortedTxnIndex(std::filesystem::path path) : path_(std::move(path)) {}

  std::filesystem::path path_;
  std::shared_ptr<FileHandle> file_;
  std::vector<AbortedTxn> entries_;  // by last_offset
  bool dirty_ = false;
};

}  // namespace sluice::log
