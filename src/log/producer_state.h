// The idempotent-producer state of one partition (Kafka's ProducerStateManager): for each
// producer id that wrote to the partition, its current epoch and the sequence numbers and
// offsets of its last 5 batches. It decides whether a produced batch is the next one in
// sequence (append it), a retry of one of those 5 (acknowledge the original offsets and
// append nothing), or out of order or from a fenced epoch (refuse it), with Kafka's rules.
//
// The state is derived from the log: PartitionLog applies every batch it appends or scans
// at open, so a crash loses nothing the log kept. A snapshot (serialize/parse, written by
// PartitionLog at roll and clean close) saves rescanning the whole log.
//
// Transactions: a transactional batch opens the producer's transaction at its first offset
// (unless one is open), a control batch (commit or abort marker) closes it. The open
// transactions' first offsets give the partition's last stable offset (LSO): the first
// offset that read_committed consumers may not read yet.
//
// A plain value type, not thread-safe; owned by one PartitionLog.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <map>
#include <unordered_map>
#include <vector>

#include "log/status.h"

namespace sluice::log {

/// The producer fields of one batch (from its header) and the offsets the log gave it.
struct ProducerBatch {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t first_sequence = -1;
  int32_t last_sequence = -1;  // first_sequence + last offset delta, wrapped at INT32_MAX
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = -1;
  bool control = false;  // a transaction marker: carries an epoch, no sequence
  bool transactional = false;
  bool abort = false;  // for a control batch: an abort marker (else a commit marker)

  bool idempotent() const { return producer_id >= 0; }
};

/// A transaction that a control batch closed: the producer, the offset of its first
/// batch in this partition and the offset of the marker.
struct CompletedTxn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;  // the marker's offset
  bool aborted = false;
  bool operator==(const CompletedTxn&) const = default;
};

/// A transaction still open in the partition.
struct OpenTxn {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int64_t first_offset = -1;
  bool operator==(const OpenTxn&) const = default;
};

/// `first + delta` in Kafka's sequence space: INT32_MAX is followed by 0.
int32_t increment_sequence(int32_t first, int32_t delta);

/// One remembered batch of a producer.
struct SequenceRange {
  int32_t first_sequence = -1;
  int32_t last_sequence = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = -1;
  bool operator==(const SequenceRange&) const = default;
};

/// What the partition knows of one producer id.
struct ProducerEntry {
  int16_t epoch = -1;
  /// Its most recent data batches of `epoch`, oldest first, at most kRetainedBatches.
  std::vector<SequenceRange> batches;
  /// Broker wall-clock time of its last append (or of the scan that found it): producer
  /// ids idle for producer.id.expiration.ms are forgotten.
  int64_t last_append_ms = -1;
  /// The first offset of its open transaction in this partition; -1 when none is open.
  int64_t txn_first_offset = -1;
  bool operator==(const ProducerEntry&) const = default;
};

/// The verdict on a batch about to be appended.
struct ProducerCheck {
  enum Kind {
    kAppend,     // in sequence (or not idempotent): append it
    kDuplicate,  // a retry of `original`: acknowledge its offsets, append nothing
    kRejected,   // `status` says why: kOutOfOrderSequence or kInvalidProducerEpoch
  };
  Kind kind = kAppend;
  Status status;
  SequenceRange original;
};

class ProducerState {
 public:
  /// Kafka remembers 5 batches per producer: the most a producer keeps in flight
  /// (max.in.flight.requests.per.connection <= 5 with idempotence).
  static constexpr size_t kRetainedBatches = 5;
  /// producer.id.expiration.ms default (Kafka 3.x: one day).
  static constexpr int64_t kDefaultExpirationMs = 24LL * 3600 * 1000;

  /// Checks the batches of one append in order, each as if the ones before it had been
  /// appended; offsets in `batches` are not looked at. Kafka's rules (ProducerAppendInfo):
  ///  - same epoch, same first and last sequence as one of the last 5 batches: kDuplicate
  ///    (only for a single-batch append; a duplicate among several batches is rejected
  ///    with kDuplicateSequence, which Kafka never meets since it takes one v2 batch per
  ///    partition and request);
  ///  - an epoch older than the producer's: kInvalidProducerEpoch;
  ///  - a newer epoch must start at sequence 0, the same epoch must continue at the last
  ///    sequence + 1 (0 after INT32_MAX): else kOutOfOrderSequence;
  ///  - a producer id the partition does not know may start at any sequence (as Kafka >=
  ///    2.5 does: its batches may have been removed by retention).
  ///  - control batches are checked for their epoch only.
  ProducerCheck check(std::span<const ProducerBatch> batches) const;

  /// Records an appended batch (no checks: used after check() and when rebuilding from the
  /// log). Non-idempotent batches are ignored. A newer epoch forgets the older epoch's
  /// batches; a control batch moves the epoch and closes the producer's open transaction,
  /// which is returned (nothing when none was open: a marker may be written twice).
  std::optional<CompletedTxn> apply(const ProducerBatch& batch, int64_t now_ms);

  /// Forgets producer ids whose last append is more than `max_age_ms` before `now_ms`,
  /// except those with an open transaction. Returns how many were removed.
  size_t expire(int64_t now_ms, int64_t max_age_ms);

  /// The smallest first offset of an open transaction; nullopt when none is open. The LSO
  /// is this or, without one, the log end offset.
  std::optional<int64_t> first_unstable_offset() const;
  /// Every open transaction, by first offset.
  std::vector<OpenTxn> open_transactions() const;

  /// nullptr for a producer id the partition does not know.
  const ProducerEntry* find(int64_t producer_id) const;
  size_t size() const { return producers_.size(); }
  bool empty() const { return producers_.empty(); }
  const std::unordered_map<int64_t, ProducerEntry>& producers() const { return producers_; }
  void clear() {
    producers_.clear();
    open_txns_.clear();
  }

  /// The state as a snapshot file's bytes, labelled with the log offset it is valid at
  /// (every batch below it applied, none above). Versioned and CRC32C-protected.
  std::string serialize(int64_t offset) const;
  struct Snapshot;
  /// Parses serialize()'s output; nullopt with `why` set when it is truncated, has a bad
  /// CRC or an unknown version.
  static std::optional<Snapshot> parse(std::string_view bytes, std::string& why);

  bool operator==(const ProducerState&) const = default;

 private:
  void rebuild_open_index();

  std::unordered_map<int64_t, ProducerEntry> producers_;
  std::map<int64_t, int64_t> open_txns_;  // first offset -> producer id (derived)
};

struct ProducerState::Snapshot {
  int64_t offset = -1;
  ProducerState state;
};

}  // namespace sluice::log
