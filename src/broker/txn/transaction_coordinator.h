// The transaction coordinator: every transactional id's producer id, epoch and
// transaction state (TransactionMetadata, kept durable by TransactionLog), with Kafka's
// rules for InitProducerId (epoch bump, fencing), AddPartitionsToTxn, AddOffsetsToTxn,
// TxnOffsetCommit (offsets held back until the commit) and EndTxn (commit or abort
// markers written into every partition of the transaction before the answer), transaction
// timeouts (aborted by expire_due() with the epoch bumped, so the late producer is
// fenced) and recovery (at construction: a PrepareCommit completes, a PrepareAbort or
// Ongoing transaction is aborted; partitions' open transactions that no Ongoing
// transaction owns are aborted too, so no last stable offset is left hanging).
//
// Errors are Kafka error codes returned as values. The coordinator reaches partitions,
// producer ids and group offsets only through TxnEnvironment (the broker wires them; tests
// give fakes). Not thread-safe: one thread (the broker's) only.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/txn/transaction_log.h"
#include "broker/txn/transaction_metadata.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages.h"

namespace sluice::broker::txn {

struct TxnConfig {
  /// transaction.max.timeout.ms: a longer transaction.timeout.ms is refused.
  int32_t max_timeout_ms = 15 * 60 * 1000;
  /// How often the timer looks for timed-out transactions.
  int32_t check_interval_ms = 100;
};

/// A transaction open in a partition's log (for the recovery check).
struct PartitionOpenTxn {
  TopicPartition partition;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int64_t first_offset = -1;
};

struct TxnEnvironment {
  std::function<std::optional<int64_t>(std::string& error)> allocate_producer_id;
  std::function<bool(const TopicPartition&)> partition_exists;
  /// Appends a commit or abort marker of the producer to the partition.
  std::function<kafka::ErrorCode(const TopicPartition&, int64_t producer_id, int16_t epoch,
                                 bool commit)>
      write_marker;
  /// Commits a group's offsets (as an OffsetCommit would).
  std::function<bool(const std::string& group, const std::map<TopicPartition, PendingOffset>&)>
      commit_offsets;
  /// Every transaction open in any partition's log.
  std::function<std::vector<PartitionOpenTxn>()> open_partition_transactions;
  /// Wall-clock ms (durable start times); defaults to the system clock.
  std::function<int64_t()> clock;
};

class TransactionCoordinator {
 public:
  /// Takes the loaded log and recovers every transaction left in a Prepare or Ongoing
  /// state (see the file comment).
  TransactionCoordinator(TxnConfig config, std::unique_ptr<TransactionLog> log,
                         TxnEnvironment env);
  ~TransactionCoordinator();
  TransactionCoordinator(const TransactionCoordinator&) = delete;
  TransactionCoordinator& operator=(const TransactionCoordinator&) = delete;

  struct InitResult {
    kafka::ErrorCode error = kafka::ErrorCode::kNone;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
  };
  /// InitProducerId with a transactional id. `producer_id`/`producer_epoch` are v3+'s
  /// current id and epoch (-1 when not given).
  InitResult init_producer_id(const std::string& transactional_id, int32_t timeout_ms,
                              int64_t producer_id, int16_t producer_epoch, int16_t version);
  kafka::AddPartitionsToTxnResponse add_partitions(const kafka::AddPartitionsToTxnRequest& request,
                                                   int16_t version);
  kafka::ErrorCode add_offsets(const kafka::AddOffsetsToTxnRequest& request, int16_t version);
  kafka::TxnOffsetCommitResponse txn_offset_commit(const kafka::TxnOffsetCommitRequest& request,
                                                   int16_t version);
  kafka::ErrorCode end_txn(const kafka::EndTxnRequest& request, int16_t version);

  /// May this producer write transactional batches to the partition? kNone when the
  /// partition is in its Ongoing transaction; INVALID_PRODUCER_ID_MAPPING for an unknown
  /// producer id, INVALID_PRODUCER_EPOCH for another epoch, INVALID_TXN_STATE otherwise.
  kafka::ErrorCode check_produce(int64_t producer_id, int16_t producer_epoch,
                                 const TopicPartition& partition) const;

  kafka::DescribeTransactionsResponse describe(const kafka::DescribeTransactionsRequest& request) const;
  kafka::ListTransactionsResponse list(const kafka::ListTransactionsRequest& request) const;

  /// Aborts the Ongoing transactions past their timeout; retries markers of transactions
  /// left in a Prepare state by a failed write.
  void expire_due();
  /// Calls expire_due() every check_interval_ms on `executor`.
  void run_timers(asio::any_io_executor executor);

  void flush_if_due(int64_t wall_now_ms) { (void)log_->flush_if_due(wall_now_ms); }
  void flush() { (void)log_->flush(); }

  const TransactionMetadata* find(const std::string& transactional_id) const;

 private:
  int64_t now() const { return env_.clock(); }
  bool store(TransactionMetadata& txn);
  /// Moves an Ongoing transaction to Prepare{Commit,Abort}, writes the markers and the
  /// offsets, and completes it. false when the Prepare state could not be stored.
  bool complete(TransactionMetadata& txn, bool commit);
  /// Writes markers and offsets of a Prepare state and moves to Complete.
  void finish(TransactionMetadata& txn);
  void recover();
  void arm();
  /// kNone, or the error for a request naming this id, producer id and epoch.
  kafka::ErrorCode check_producer(const std::string& id, int64_t producer_id, int16_t epoch,
                                  bool fenced_as_producer_fenced, TransactionMetadata** out);

  TxnConfig config_;
  std::unique_ptr<TransactionLog> log_;
  TxnEnvironment env_;
  std::map<std::string, TransactionMetadata, std::less<>> txns_;
  std::unordered_map<int64_t, std::string> by_producer_;
  std::optional<asio::steady_timer> timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::broker::txn
