// What the transaction coordinator knows of one transactional id (Kafka's
// TransactionMetadata): its producer id and epoch, its timeout, the state of its current
// or last transaction, the partitions and groups in it and the offsets it will commit.
//
// States and moves (as in Kafka, without PrepareEpochFence: this broker writes markers
// synchronously, so a transaction never waits in a Prepare state except across a crash):
//   Empty / CompleteCommit / CompleteAbort --AddPartitions/AddOffsets--> Ongoing
//   Ongoing --EndTxn(commit)--> PrepareCommit --markers written--> CompleteCommit
//   Ongoing --EndTxn(abort), timeout, fencing--> PrepareAbort --markers--> CompleteAbort
// A plain value type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace sluice::broker::txn {

enum class TxnState : uint8_t {
  kEmpty = 0,
  kOngoing = 1,
  kPrepareCommit = 2,
  kPrepareAbort = 3,
  kCompleteCommit = 4,
  kCompleteAbort = 5,
};

/// Kafka's name of a state, as DescribeTransactions/ListTransactions report it.
std::string_view state_name(TxnState s);
std::optional<TxnState> parse_state(std::string_view name);

using TopicPartition = std::pair<std::string, int32_t>;

struct PendingOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  bool operator==(const PendingOffset&) const = default;
};

struct TransactionMetadata {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t timeout_ms = 60000;
  TxnState state = TxnState::kEmpty;
  std::set<TopicPartition> partitions;
  std::set<std::string> groups;  // added by AddOffsetsToTxn
  /// group -> partition -> offset, from TxnOffsetCommit; committed with the transaction.
  std::map<std::string, std::map<TopicPartition, PendingOffset>> pending_offsets;
  int64_t start_ms = -1;        // wall clock when the transaction became Ongoing
  int64_t last_update_ms = -1;  // wall clock of the last change
  /// The epoch a timeout abort bumped away from (-1: none). The producer may still name it
  /// in InitProducerId to start over (KIP-588), once. Kept in memory only.
  int16_t timed_out_epoch = -1;

  bool operator==(const TransactionMetadata&) const = default;
};

}  // namespace sluice::broker::txn
