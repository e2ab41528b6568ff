// The persistent log of one partition: a directory of segments (see Segment) holding the
// partition's record batches in offset order, as produced. Assigns offsets on append,
// serves whole batches as file ranges for sendfile, finds offsets by timestamp, deletes
// old segments by retention, and recovers a torn tail when opened after a crash.
// Keeps the partition's idempotent-producer state (ProducerState): append() deduplicates
// retried batches and refuses out-of-order ones; the state is rebuilt at open from the
// newest `<offset>.snapshot` file (written at roll and clean close) plus a scan of the
// batch headers after it, so it survives restarts and crashes alike.
//
// Durability and visibility: high_watermark() is the end of what readers may see. Appends
// made by append() are durable as the flush policy says (kEveryBatch: fsynced before it
// returns) and visible at once. append_deferred() under kEveryBatch leaves the fsync to the
// caller (group commit: take_sync() hands out the file, a LogFlusher fsyncs it, complete_sync()
// reports it): those batches stay above the high watermark, invisible to fetches and
// ListOffsets, until their fsync is done. A failed fsync fails the log: it takes no more
// appends (kStorageError) until it is reopened (the kernel may have dropped the unsynced
// pages; Kafka takes the log dir offline for the same reason); what is below the high
// watermark stays readable.
//
// Not thread-safe: the broker calls every method from its one request thread. FileRanges
// returned by read() own their descriptor and stay valid after retention or delete_log()
// removed the files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "common/file_range.h"
#include "log/aborted_txn_index.h"
#include "log/log_config.h"
#include "log/producer_state.h"
#include "log/record_timestamps.h"
#include "log/segment.h"
#include "log/status.h"

namespace sluice::log {

struct AppendResult {
  Status status;
  int64_t base_offset = -1;         // offset assigned to the first record
  int64_t last_offset = -1;         // offset assigned to the last record
  int64_t log_append_time_ms = -1;  // the `now_ms` of the append (Kafka's LogAppendTime)
  /// The batch was a producer's retry of one already in the log: nothing was appended and
  /// the offsets are those it got the first time (-1 log_append_time_ms).
  bool duplicate = false;

  bool ok() const { return status.ok(); }
  const std::string& message() const { return status.message; }
};

struct ReadResult {
  Status status;
  /// Whole batches, in offset order; one range per segment touched. Empty when the read
  /// starts at the upper bound (nothing new yet).
  std::vector<FileRange> ranges;
  uint64_t bytes = 0;  // sum of the ranges' lengths

  bool ok() const { return status.ok(); }
};

struct TimestampLookup {
  int64_t offset = -1;     // -1: no batch has a timestamp >= the one asked for
  int64_t timestamp = -1;  // the max timestamp of the batch found
  Status status;           // a read error or corrupt header met on the way
};

struct RetentionResult {
  int segments_deleted = 0;
  uint64_t bytes_deleted = 0;
  Status status;  // a failed delete stops retention and is reported here (and logged)
};

class PartitionLog {
 public:
  struct OpenResult {
    Status status;
    std::unique_ptr<PartitionLog> log;
    bool ok() const { return status.ok(); }
    const std::string& message() const { return status.message; }
  };

  /// Opens the log in `dir`, creating the directory and a first segment if needed.
  /// Recovers the last segment (torn tail truncated, logged) and rebuilds missing or
  /// corrupt index files. Fails with kStorageError on I/O errors.
  static OpenResult open(const std::filesystem::path& dir, LogConfig config);

  ~PartitionLog();
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  /// Appends `batches`: one or more complete v2 record batches whose CRC the caller has
  /// checked. Assigns offsets from log_end_offset() by patching each batch's base offset
  /// in place, and stamps partition leader epoch 0 (the single broker's epoch); both
  /// fields are outside the CRC. Rolls to a new segment first when the active one would exceed
  /// segment.bytes or is older than segment.ms. With FlushPolicy::kEveryBatch the data is
  /// fsynced before this returns. Batches with a producer id are checked against the
  /// producer state first (ProducerState::check): a retry of one of the producer's last 5
  /// batches returns its original offsets with `duplicate` set and appends nothing.
  /// Errors: kCorruptBatch (malformed framing), kMessageTooLarge (a batch over
  /// max.message.bytes; a control batch whose marker cannot be read), kOutOfOrderSequence / kInvalidProducerEpoch / kDuplicateSequence
  /// (refused by the producer state, nothing appended), kStorageError (write or fsync
  /// failed: the file is truncated back, nothing becomes visible, offsets are not used;
  /// or an earlier fsync failed: see failure()).
  AppendResult append(std::span<uint8_t> batches, int64_t now_ms);
  /// append(), except that under FlushPolicy::kEveryBatch nothing is fsynced: the batches
  /// are above high_watermark() until complete_sync() reports an fsync of take_sync()'s
  /// file taken after this call. Under an interval policy it is append().
  AppendResult append_deferred(std::span<uint8_t> batches, int64_t now_ms);

  /// What makes the deferred appends so far durable: fsync `file`, then call
  /// complete_sync(end_offset, status). `file` is null when nothing waits for an fsync.
  struct PendingSync {
    std::shared_ptr<FileHandle> file;
    int64_t end_offset = -1;
  };
  PendingSync take_sync() const;
  /// Reports the fsync of a take_sync() result: on success the high watermark advances to
  /// `end_offset` (when behind it); on failure the log is failed (see the class comment).
  void complete_sync(int64_t end_offset, const Status& status);
  /// The end of the durable, visible prefix: log_end_offset() but for deferred appends
  /// whose fsync is not done. Fetches and ListOffsets(latest) stop here.
  int64_t high_watermark() const { return high_watermark_; }
  /// Not ok once an fsync has failed: the error every later append returns.
  const Status& failure() const { return failure_; }

  /// The whole batches from the one containing `offset`, in order, while their total stays
  /// within `max_bytes` (but always at least one batch, however large: KIP-74), and only
  /// batches that end before `upper_bound_offset` (exclusive; the high watermark or last
  /// stable offset) and never past high_watermark(). kOffsetOutOfRange when `offset` is
  /// outside [start, end].
  ReadResult read(int64_t offset, uint32_t max_bytes, int64_t upper_bound_offset) const;

  /// Kafka's ListOffsets by timestamp: the offset and timestamp of the first record whose
  /// timestamp is >= `ts`, found in the first batch whose max timestamp is >= `ts`. For a
  /// compressed batch (not decoded here) it is the batch's base offset and max timestamp,
  /// so a consumer seeking there may see a few earlier-stamped records of that batch.
  /// {-1, -1} when no record is that recent.
  TimestampLookup offset_for_timestamp(int64_t ts) const;
  /// The same, exact to the record in compressed batches too: `decompressing_finder`
  /// (given by a caller that has the codecs) is asked for the first record >= ts of a
  /// batch that first_record_at_or_after cannot read.
  using RecordFinder =
      std::function<std::optional<RecordTimestamp>(std::span<const uint8_t> batch, int64_t ts)>;
  TimestampLookup offset_for_timestamp(int64_t ts, const RecordFinder& decompressing_finder) const;

  /// Forgets producer ids idle for producer.id.expiration.ms (any cleanup policy). Then
  /// deletes the oldest segments while they are older than retention.ms (by their largest
  /// timestamp; an expired active segment is rolled first, as Kafka does) or while the log
  /// without them still holds at least retention.bytes. Only with cleanup.policy "delete".
  /// Advances log_start_offset(). Producer state is kept for batches deleted this way.
  RetentionResult apply_retention(int64_t now_ms);

  /// fsyncs unflushed appends (FlushPolicy::kInterval).
  Status flush();
  /// flush() if the oldest unflushed append is at least the flush interval old.
  Status flush_if_due(int64_t now_ms);
  /// For a flush on another thread (LogFlusher): when flush_if_due would flush, counts the
  /// appends so far as flushed and returns the active segment's file for the caller to
  /// fsync; nullptr when nothing is due. The aborted-transaction index is synced here.
  std::shared_ptr<FileHandle> take_due_flush(int64_t now_ms);
  /// Some acknowledged appends are not fsynced yet.
  bool flush_pending() const { return unflushed_since_ms_ >= 0; }

  int64_t log_start_offset() const;
  /// The next offset append() assigns.
  int64_t log_end_offset() const;
  uint64_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  const std::filesystem::path& dir() const { return dir_; }
  /// Unique among the logs this process opened: tells a log from a later one of the same
  /// topic and partition (a topic deleted and created again).
  uint64_t id() const { return id_; }

  /// Every producer id's epoch and last batches, as append() checks them.
  const ProducerState& producer_state() const { return producers_; }

  /// The first offset read_committed consumers may not read: the first offset of the
  /// oldest open transaction, or the high watermark when none is open (never above it).
  int64_t last_stable_offset() const;
  /// The aborted transactions a read_committed fetch of [from, upper) must be told of.
  std::vector<AbortedTxn> aborted_transactions(int64_t from, int64_t upper) const;
  /// The transactions open in this partition (no marker yet), by first offset.
  std::vector<OpenTxn> open_transactions() const { return producers_.open_transactions(); }

  const LogConfig& config() const { return config_; }
  /// Takes effect from the next append/retention; switching to kEveryBatch flushes now.
  Status set_config(LogConfig config);

  /// fsyncs pending appends, writes a producer state snapshot at the log end (so that the
  /// next open need not scan) and stops the log: further appends, reads and retention fail
  /// with kStorageError. FileRanges already handed out stay valid.
  Status close();
  /// Closes the log and removes its directory.
  Status delete_log();

 private:
  PartitionLog(std::filesystem::path dir, LogConfig config);
  static constexpr const char* kSnapshotSuffix = ".snapshot";

  Status load();
  AppendResult append(std::span<uint8_t> batches, int64_t now_ms, bool deferred);
  Status roll(int64_t now_ms);
  Status shut_down(bool snapshot);
  /// Loads the newest usable snapshot of `snapshots` (removing stale or corrupt ones) and
  /// applies the batch headers after it.
  Status load_producer_state(const std::set<int64_t>& snapshots);
  /// Writes the producer state as `<log end offset>.snapshot` and keeps the 2 newest
  /// snapshots. Failures are logged only: the next open scans further back instead.
  void write_producer_snapshot();
  std::filesystem::path snapshot_path(int64_t offset) const;
  Segment& active() const { return *segments_.rbegin()->second; }
  Status delete_oldest_segment(const char* reason);
  Status closed_error() const;

  std::filesystem::path dir_;
  const uint64_t id_;
  LogConfig config_;
  std::map<int64_t, std::unique_ptr<Segment>> segments_;  // by base offset; last is active
  uint64_t size_bytes_ = 0;
  int64_t active_since_ms_ = -1;     // first append into the active segment since open/roll
  int64_t unflushed_since_ms_ = -1;  // first append not yet fsynced (interval policy)
  int64_t high_watermark_ = 0;       // see high_watermark()
  Status failure_;                   // set by a failed fsync: the log takes no appends
  bool closed_ = false;
  ProducerState producers_;
  std::unique_ptr<AbortedTxnIndex> aborted_;
  std::set<int64_t> snapshots_;  // offsets of the producer state snapshot files present
};

}  // namespace sluice::log
