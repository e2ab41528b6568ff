#include "broker/txn/transaction_coordinator.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/clock.h"

namespace sluice::broker::txn {

using kafka::ErrorCode;

namespace {

constexpr int16_t kMaxEpoch = INT16_MAX - 1;

bool preparing(TxnState s) { return s == TxnState::kPrepareCommit || s == TxnState::kPrepareAbort; }

}  // namespace

TransactionCoordinator::TransactionCoordinator(TxnConfig config,
                                               std::unique_ptr<TransactionLog> log,
                                               TxnEnvironment env)
    : config_(config), log_(std::move(log)), env_(std::move(env)) {
  if (!env_.clock) env_.clock = [] { return wall_clock_ms(); };
  for (const auto& [id, txn] : log_->all()) {
    txns_.emplace(id, txn);
    if (txn.producer_id >= 0) by_producer_[txn.producer_id] = id;
  }
  recover();
}

TransactionCoordinator::~TransactionCoordinator() { *alive_ = false; }

const TransactionMetadata* TransactionCoordinator::find(const std::string& id) const {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : &it->second;
}

bool TransactionCoordinator::store(TransactionMetadata& txn) {
  txn.last_update_ms = now();
  return log_->write(txn).ok();
}

void TransactionCoordinator::finish(TransactionMetadata& txn) {
  const bool commit = txn.state == TxnState::kPrepareCommit;
  bool all_written = true;
  for (const auto& tp : txn.partitions) {
    if (env_.partition_exists && !env_.partition_exists(tp)) continue;  // deleted since
    ErrorCode e = env_.write_marker(tp, txn.producer_id, txn.producer_epoch, commit);
    if (e != ErrorCode::kNone) {
      spdlog::error("transaction '{}': cannot write the {} marker to {}-{}: {} (will retry)",
                    txn.transactional_id, commit ? "commit" : "abort", tp.first, tp.second,
                    kafka::error_name(e));
      all_written = false;
    }
  }
  if (!all_written) return;  // stays in Prepare: expire_due() retries
  if (commit) {
    for (const auto& [group, offsets] : txn.pending_offsets) {
      if (!env_.commit_offsets(group, offsets)) {
        spdlog::error("transaction '{}': cannot commit the offsets of group '{}' (will retry)",
                      txn.transactional_id, group);
        return;
      }
    }
  }
  txn.state = commit ? TxnState::kCompleteCommit : TxnState::kCompleteAbort;
  txn.partitions.clear();
  txn.groups.clear();
  txn.pending_offsets.clear();
  if (!store(txn))
    spdlog::error("transaction '{}': completion not stored (recovery will redo it)",
                  txn.transactional_id);
}

bool TransactionCoordinator::complete(TransactionMetadata& txn, bool commit) {
  const TxnState before = txn.state;
  txn.state = commit ? TxnState::kPrepareCommit : TxnState::kPrepareAbort;
  if (!store(txn)) {
    txn.state = before;
    return false;
  }
  finish(txn);
  return true;
}

void TransactionCoordinator::recover() {
  for (auto& [id, txn] : txns_) {
    if (preparing(txn.state)) {
      spdlog::info("transaction '{}' was {} at the last stop: completing it", id,
                   state_name(txn.state));
      finish(txn);
    } else if (txn.state == TxnState::kOngoing) {
      spdlog::info("transaction '{}' (producer {} epoch {}) was open at the last stop: aborting it",
                   id, txn.producer_id, txn.producer_epoch);
      if (txn.producer_epoch < kMaxEpoch) ++txn.producer_epoch;  // fences the old producer
      complete(txn, false);
    }
  }
  if (!env_.open_partition_transactions) return;
  // A partition may hold an open transaction that no Ongoing transaction owns (its
  // coordinator state lost or never written): abort it there, or its LSO never moves.
  for (const auto& open : env_.open_partition_transactions()) {
    auto owner = by_producer_.find(open.producer_id);
    if (owner != by_producer_.end()) {
      const auto& txn = txns_.at(owner->second);
      if (txn.state == TxnState::kOngoing && txn.partitions.count(open.partition)) continue;
    }
    spdlog::warn("partition {}-{}: transaction of producer {} open since offset {} has no "
                 "ongoing transaction at the coordinator: writing an abort marker",
                 open.partition.first, open.partition.second, open.producer_id,
                 open.first_offset);
    env_.write_marker(open.partition, open.producer_id, open.producer_epoch, false);
  }
}

ErrorCode TransactionCoordinator::check_producer(const std::string& id, int64_t producer_id,
                                                 int16_t epoch, bool fenced_as_producer_fenced,
                                                 TransactionMetadata** out) {
  auto it = txns_.find(id);
  if (it == txns_.end() || it->second.producer_id != producer_id)
    return ErrorCode::kInvalidProducerIdMapping;
  if (it->second.producer_epoch != epoch)
    return fenced_as_producer_fenced ? ErrorCode::kProducerFenced
                                     : ErrorCode::kInvalidProducerEpoch;
  if (preparing(it->second.state)) return ErrorCode::kConcurrentTransactions;
  *out = &it->second;
  return ErrorCode::kNone;
}

TransactionCoordinator::InitResult TransactionCoordinator::init_producer_id(
    const std::string& id, int32_t timeout_ms, int64_t producer_id, int16_t producer_epoch,
    int16_t version) {
  InitResult out;
  const ErrorCode fenced = version >= 4 ? ErrorCode::kProducerFenced : ErrorCode::kInvalidProducerEpoch;
  if (timeout_ms <= 0 || timeout_ms > config_.max_timeout_ms) {
    spdlog::warn("InitProducerId for '{}': transaction timeout {} ms is outside (0, {}]", id,
                 timeout_ms, config_.max_timeout_ms);
    out.error = ErrorCode::kInvalidTransactionTimeout;
    return out;
  }
  auto new_id = [&](TransactionMetadata& txn) {
    std::string error;
    auto pid = env_.allocate_producer_id(error);
    if (!pid) {
      spdlog::error("InitProducerId for '{}': {}", id, error);
      return false;
    }
    if (txn.producer_id >= 0) by_producer_.erase(txn.producer_id);
    txn.producer_id = *pid;
    txn.producer_epoch = 0;
    by_producer_[*pid] = id;
    return true;
  };

  auto it = txns_.find(id);
  if (it == txns_.end()) {
    TransactionMetadata txn;
    txn.transactional_id = id;
    txn.timeout_ms = timeout_ms;
    if (!new_id(txn)) {
      out.error = ErrorCode::kCoordinatorNotAvailable;
      return out;
    }
    if (!store(txn)) {
      by_producer_.erase(txn.producer_id);
      out.error = ErrorCode::kCoordinatorNotAvailable;
      return out;
    }
    out.producer_id = txn.producer_id;
    out.producer_epoch = txn.producer_epoch;
    txns_.emplace(id, std::move(txn));
    spdlog::info("transactional id '{}': producer {} epoch 0", id, out.producer_id);
    return out;
  }
  TransactionMetadata& txn = it->second;
  // KIP-588: a producer whose transaction timed out may start over naming the epoch it had.
  const bool timed_out_producer = producer_id == txn.producer_id && producer_epoch >= 0 &&
                                  producer_epoch == txn.timed_out_epoch &&
                                  txn.state == TxnState::kCompleteAbort;
  if (producer_id >= 0 && !timed_out_producer &&
      (producer_id != txn.producer_id || producer_epoch != txn.producer_epoch)) {
    spdlog::warn("InitProducerId for '{}' names producer {} epoch {}, but the current one is "
                 "producer {} epoch {}: fenced",
                 id, producer_id, producer_epoch, txn.producer_id, txn.producer_epoch);
    out.error = fenced;
    return out;
  }
  if (preparing(txn.state)) {
    out.error = ErrorCode::kConcurrentTransactions;
    return out;
  }
  if (txn.state == TxnState::kOngoing) {
    // A new instance of the producer: abort what the old one left open, fencing it.
    spdlog::info("transactional id '{}': a new producer instance aborts the open transaction "
                 "of epoch {}",
                 id, txn.producer_epoch);
    if (txn.producer_epoch < kMaxEpoch) ++txn.producer_epoch;
    if (!complete(txn, false) || txn.state != TxnState::kCompleteAbort) {
      out.error = ErrorCode::kConcurrentTransactions;  // retriable: the client tries again
      return out;
    }
  }
  if (txn.producer_epoch >= kMaxEpoch) {
    if (!new_id(txn)) {
      out.error = ErrorCode::kCoordinatorNotAvailable;
      return out;
    }
  } else {
    ++txn.producer_epoch;
  }
  txn.timeout_ms = timeout_ms;
  txn.state = TxnState::kEmpty;
  txn.start_ms = -1;
  txn.timed_out_epoch = -1;
  if (!store(txn)) {
    out.error = ErrorCode::kCoordinatorNotAvailable;
    return out;
  }
  spdlog::info("transactional id '{}': producer {} epoch {}", id, txn.producer_id,
               txn.producer_epoch);
  out.producer_id = txn.producer_id;
  out.producer_epoch = txn.producer_epoch;
  return out;
}

kafka::AddPartitionsToTxnResponse TransactionCoordinator::add_partitions(
    const kafka::AddPartitionsToTxnRequest& request, int16_t version) {
  kafka::AddPartitionsToTxnResponse response;
  auto answer_all = [&](auto error_of) {
    response.results.clear();
    for (const auto& topic : request.topics) {
      kafka::AddPartitionsToTxnResponse::Topic t{topic.name, {}};
      for (int32_t p : topic.partitions)
        t.results.push_back({p, kafka::code(error_of(TopicPartition{topic.name, p}))});
      response.results.push_back(std::move(t));
    }
    return response;
  };
  TransactionMetadata* txn = nullptr;
  ErrorCode e = check_producer(request.transactional_id, request.producer_id,
                               request.producer_epoch, version >= 2, &txn);
  if (e != ErrorCode::kNone) {
    spdlog::warn("AddPartitionsToTxn for '{}' (producer {} epoch {}) refused: {}",
                 request.transactional_id, request.producer_id, request.producer_epoch,
                 kafka::error_name(e));
    return answer_all([&](const TopicPartition&) { return e; });
  }
  bool missing = false;
  for (const auto& topic : request.topics)
    for (int32_t p : topic.partitions) missing |= !env_.partition_exists({topic.name, p});
  if (missing) {
    spdlog::warn("AddPartitionsToTxn for '{}': unknown topic or partition", request.transactional_id);
    return answer_all([&](const TopicPartition& tp) {
      return env_.partition_exists(tp) ? ErrorCode::kOperationNotAttempted
                                       : ErrorCode::kUnknownTopicOrPartition;
    });
  }
  TransactionMetadata updated = *txn;
  if (updated.state != TxnState::kOngoing) {
    updated.state = TxnState::kOngoing;
    updated.start_ms = now();
  }
  size_t before = updated.partitions.size();
  for (const auto& topic : request.topics)
    for (int32_t p : topic.partitions) updated.partitions.emplace(topic.name, p);
  if (updated.partitions.size() != before || txn->state != TxnState::kOngoing) {
    if (!store(updated))
      return answer_all([](const TopicPartition&) { return ErrorCode::kCoordinatorNotAvailable; });
    *txn = std::move(updated);
  }
  return answer_all([](const TopicPartition&) { return ErrorCode::kNone; });
}

ErrorCode TransactionCoordinator::add_offsets(const kafka::AddOffsetsToTxnRequest& request,
                                              int16_t version) {
  TransactionMetadata* txn = nullptr;
  ErrorCode e = check_producer(request.transactional_id, request.producer_id,
                               request.producer_epoch, version >= 2, &txn);
  if (e == ErrorCode::kNone && request.group_id.empty()) e = ErrorCode::kInvalidGroupId;
  if (e != ErrorCode::kNone) {
    spdlog::warn("AddOffsetsToTxn for '{}' (group '{}') refused: {}", request.transactional_id,
                 request.group_id, kafka::error_name(e));
    return e;
  }
  if (txn->state == TxnState::kOngoing && txn->groups.count(request.group_id)) return e;
  TransactionMetadata updated = *txn;
  if (updated.state != TxnState::kOngoing) {
    updated.state = TxnState::kOngoing;
    updated.start_ms = now();
  }
  updated.groups.insert(request.group_id);
  if (!store(updated)) return ErrorCode::kCoordinatorNotAvailable;
  *txn = std::move(updated);
  return ErrorCode::kNone;
}

kafka::TxnOffsetCommitResponse TransactionCoordinator::txn_offset_commit(
    const kafka::TxnOffsetCommitRequest& request, int16_t version) {
  kafka::TxnOffsetCommitResponse response;
  auto answer = [&](auto error_of) {
    response.topics.clear();
    for (const auto& topic : request.topics) {
      kafka::TxnOffsetCommitResponse::Topic t{topic.name, {}};
      for (const auto& p : topic.partitions)
        t.partitions.push_back(
            {p.partition_index, kafka::code(error_of(TopicPartition{topic.name, p.partition_index}))});
      response.topics.push_back(std::move(t));
    }
    return response;
  };
  TransactionMetadata* txn = nullptr;
  ErrorCode e = check_producer(request.transactional_id, request.producer_id,
                               request.producer_epoch, false, &txn);
  if (e == ErrorCode::kNone &&
      (txn->state != TxnState::kOngoing || !txn->groups.count(request.group_id)))
    e = ErrorCode::kInvalidTxnState;  // AddOffsetsToTxn must come first
  if (e != ErrorCode::kNone) {
    spdlog::warn("TxnOffsetCommit for '{}' (group '{}') refused: {}", request.transactional_id,
                 request.group_id, kafka::error_name(e));
    return answer([&](const TopicPartition&) { return e; });
  }
  TransactionMetadata updated = *txn;
  auto& pending = updated.pending_offsets[request.group_id];
  for (const auto& topic : request.topics)
    for (const auto& p : topic.partitions)
      if (env_.partition_exists({topic.name, p.partition_index}))
        pending[{topic.name, p.partition_index}] =
            PendingOffset{p.committed_offset, p.committed_leader_epoch,
                          p.committed_metadata.value_or("")};
  if (pending.empty()) updated.pending_offsets.erase(request.group_id);
  if (!store(updated))
    return answer([](const TopicPartition&) { return ErrorCode::kCoordinatorNotAvailable; });
  *txn = std::move(updated);
  return answer([&](const TopicPartition& tp) {
    return env_.partition_exists(tp) ? ErrorCode::kNone : ErrorCode::kUnknownTopicOrPartition;
  });
}

ErrorCode TransactionCoordinator::end_txn(const kafka::EndTxnRequest& request, int16_t version) {
  TransactionMetadata* txn = nullptr;
  ErrorCode e = check_producer(request.transactional_id, request.producer_id,
                               request.producer_epoch, version >= 2, &txn);
  if (e == ErrorCode::kNone) {
    const TxnState s = txn->state;
    if (s == TxnState::kOngoing) {
      if (!complete(*txn, request.committed)) e = ErrorCode::kCoordinatorNotAvailable;
    } else if (!((s == TxnState::kCompleteCommit && request.committed) ||
                 (s == TxnState::kCompleteAbort && !request.committed))) {
      e = ErrorCode::kInvalidTxnState;  // nothing to end, or a retry asking the other way
    }
  }
  if (e != ErrorCode::kNone)
    spdlog::warn("EndTxn({}) for '{}' (producer {} epoch {}) refused: {}",
                 request.committed ? "commit" : "abort", request.transactional_id,
                 request.producer_id, request.producer_epoch, kafka::error_name(e));
  return e;
}

ErrorCode TransactionCoordinator::check_produce(int64_t producer_id, int16_t producer_epoch,
                                                const TopicPartition& partition) const {
  auto owner = by_producer_.find(producer_id);
  if (owner == by_producer_.end()) return ErrorCode::kInvalidProducerIdMapping;
  const TransactionMetadata& txn = txns_.at(owner->second);
  if (txn.producer_epoch != producer_epoch) return ErrorCode::kInvalidProducerEpoch;
  if (txn.state != TxnState::kOngoing || !txn.partitions.count(partition))
    return ErrorCode::kInvalidTxnState;
  return ErrorCode::kNone;
}

void TransactionCoordinator::expire_due() {
  const int64_t t = now();
  for (auto& [id, txn] : txns_) {
    if (preparing(txn.state)) {
      finish(txn);
    } else if (txn.state == TxnState::kOngoing && txn.start_ms >= 0 &&
               t - txn.start_ms > txn.timeout_ms) {
      spdlog::info("transaction '{}' (producer {} epoch {}) timed out after {} ms: aborting it",
                   id, txn.producer_id, txn.producer_epoch, txn.timeout_ms);
      const int16_t epoch = txn.producer_epoch;
      if (txn.producer_epoch < kMaxEpoch) ++txn.producer_epoch;  // fences the late producer
      if (complete(txn, false)) txn.timed_out_epoch = epoch;
    }
  }
}

void TransactionCoordinator::run_timers(asio::any_io_executor executor) {
  timer_.emplace(executor);
  arm();
}

void TransactionCoordinator::arm() {
  timer_->expires_after(std::chrono::milliseconds(config_.check_interval_ms));
  timer_->async_wait([this, alive = alive_](std::error_code ec) {
    if (ec || !*alive) return;
    expire_due();
    arm();
  });
}

kafka::DescribeTransactionsResponse TransactionCoordinator::describe(
    const kafka::DescribeTransactionsRequest& request) const {
  kafka::DescribeTransactionsResponse response;
  for (const auto& id : request.transactional_ids) {
    kafka::DescribeTransactionsResponse::State s;
    s.transactional_id = id;
    const TransactionMetadata* txn = find(id);
    if (!txn) {
      s.error_code = kafka::code(ErrorCode::kTransactionalIdNotFound);
      response.transaction_states.push_back(std::move(s));
      continue;
    }
    s.transaction_state = std::string(state_name(txn->state));
    s.transaction_timeout_ms = txn->timeout_ms;
    s.transaction_start_time_ms = txn->state == TxnState::kOngoing ? txn->start_ms : -1;
    s.producer_id = txn->producer_id;
    s.producer_epoch = txn->producer_epoch;
    for (const auto& [topic, p] : txn->partitions) {
      if (s.topics.empty() || s.topics.back().topic != topic) s.topics.push_back({topic, {}});
      s.topics.back().partitions.push_back(p);
    }
    response.transaction_states.push_back(std::move(s));
  }
  return response;
}

kafka::ListTransactionsResponse TransactionCoordinator::list(
    const kafka::ListTransactionsRequest& request) const {
  kafka::ListTransactionsResponse response;
  std::vector<TxnState> states;
  for (const auto& name : request.state_filters) {
    if (auto s = parse_state(name))
      states.push_back(*s);
    else
      response.unknown_state_filters.push_back(name);
  }
  for (const auto& [id, txn] : txns_) {
    if (!request.state_filters.empty() &&
        std::find(states.begin(), states.end(), txn.state) == states.end())
      continue;
    if (!request.producer_id_filters.empty() &&
        std::find(request.producer_id_filters.begin(), request.producer_id_filters.end(),
                  txn.producer_id) == request.producer_id_filters.end())
      continue;
    response.transaction_states.push_back(
        {id, txn.producer_id, std::string(state_name(txn.state))});
  }
  return response;
}

}  // namespace sluice::broker::txn
