// The transaction coordinator's state machine with a fake environment (markers and
// offsets recorded, a fake clock) and a real TransactionLog in a temp dir: moves between
// states, timeouts, fencing, recovery of every state a crash can leave, and the durable
// log's torn tails.
#include <gtest/gtest.h>

#include <fstream>

#include "broker/txn/transaction_coordinator.h"
#include "broker_fixture.h"

namespace sluice::broker::txn {
namespace {

using kafka::ErrorCode;
using sluice::broker::testing::TempDir;

struct Marker {
  TopicPartition tp;
  int64_t pid;
  int16_t epoch;
  bool commit;
  bool operator==(const Marker&) const = default;
};

class TxnCoordinatorTest : public ::testing::Test {
 protected:
  std::unique_ptr<TransactionCoordinator> open() {
    coordinator_.reset();
    auto log = TransactionLog::open(dir_.path() / "__transaction_state", log::FlushPolicy{});
    EXPECT_TRUE(log.ok()) << log.status.message;
    TxnEnvironment env;
    env.allocate_producer_id = [this](std::string&) { return std::optional<int64_t>(next_pid_++); };
    env.partition_exists = [](const TopicPartition& tp) { return tp.first == "t" && tp.second < 3; };
    env.write_marker = [this](const TopicPartition& tp, int64_t pid, int16_t epoch, bool commit) {
      if (fail_markers_) return ErrorCode::kKafkaStorageError;
      markers_.push_back({tp, pid, epoch, commit});
      std::erase_if(open_in_logs_, [&](const PartitionOpenTxn& o) {  // as the log would
        return o.partition == tp && o.producer_id == pid && o.producer_epoch <= epoch;
      });
      return ErrorCode::kNone;
    };
    env.commit_offsets = [this](const std::string& group,
                                const std::map<TopicPartition, PendingOffset>& offsets) {
      for (const auto& [tp, o] : offsets) committed_[group][tp] = o.offset;
      return true;
    };
    env.open_partition_transactions = [this] { return open_in_logs_; };
    env.clock = [this] { return now_; };
    return std::make_unique<TransactionCoordinator>(TxnConfig{}, std::move(log.log), std::move(env));
  }
  void SetUp() override { coordinator_ = open(); }
  void reopen() { coordinator_ = open(); }

  TransactionCoordinator::InitResult init(const std::string& id, int32_t timeout = 1000) {
    return coordinator_->init_producer_id(id, timeout, -1, -1, 4);
  }
  ErrorCode add(const std::string& id, const TransactionCoordinator::InitResult& p,
                std::vector<int32_t> parts) {
    auto r = coordinator_->add_partitions({id, p.producer_id, p.producer_epoch, {{"t", parts}}}, 3);
    return ErrorCode(r.results.at(0).results.at(0).error_code);
  }
  ErrorCode end(const std::string& id, const TransactionCoordinator::InitResult& p, bool commit) {
    return coordinator_->end_txn({id, p.producer_id, p.producer_epoch, commit}, 3);
  }
  TxnState state(const std::string& id) { return coordinator_->find(id)->state; }

  TempDir dir_;
  int64_t next_pid_ = 100;
  int64_t now_ = 1'000'000;
  bool fail_markers_ = false;
  std::vector<Marker> markers_;
  std::map<std::string, std::map<TopicPartition, int64_t>> committed_;
  std::vector<PartitionOpenTxn> open_in_logs_;
  std::unique_ptr<TransactionCoordinator> coordinator_;
};

TEST_F(TxnCoordinatorTest, CommitWritesAMarkerPerPartitionAndTheOffsets) {
  auto p = init("a");
  EXPECT_EQ(state("a"), TxnState::kEmpty);
  ASSERT_EQ(add("a", p, {0, 2}), ErrorCode::kNone);
  EXPECT_EQ(state("a"), TxnState::kOngoing);
  EXPECT_EQ(coordinator_->check_produce(p.producer_id, p.producer_epoch, {"t", 0}), ErrorCode::kNone);
  EXPECT_EQ(coordinator_->check_produce(p.producer_id, p.producer_epoch, {"t", 1}),
            ErrorCode::kInvalidTxnState);
  ASSERT_EQ(coordinator_->add_offsets({"a", p.producer_id, p.producer_epoch, "g"}, 3), ErrorCode::kNone);
  kafka::TxnOffsetCommitRequest tc;
  tc.transactional_id = "a";
  tc.group_id = "g";
  tc.producer_id = p.producer_id;
  tc.producer_epoch = p.producer_epoch;
  tc.topics.push_back({"t", {{1, 42, -1, std::nullopt}}});
  EXPECT_EQ(coordinator_->txn_offset_commit(tc, 3).topics.at(0).partitions.at(0).error_code, 0);
  EXPECT_TRUE(committed_.empty());
  ASSERT_EQ(end("a", p, true), ErrorCode::kNone);
  EXPECT_EQ(state("a"), TxnState::kCompleteCommit);
  EXPECT_EQ(markers_, (std::vector<Marker>{{{"t", 0}, p.producer_id, p.producer_epoch, true},
                                           {{"t", 2}, p.producer_id, p.producer_epoch, true}}));
  EXPECT_EQ(committed_["g"][TopicPartition("t", 1)], 42);
  EXPECT_EQ(coordinator_->check_produce(p.producer_id, p.producer_epoch, {"t", 0}),
            ErrorCode::kInvalidTxnState);
}

TEST_F(TxnCoordinatorTest, ATimedOutTransactionIsAbortedWithABumpedEpoch) {
  auto p = init("a", 500);
  ASSERT_EQ(add("a", p, {1}), ErrorCode::kNone);
  now_ += 400;
  coordinator_->expire_due();
  EXPECT_EQ(state("a"), TxnState::kOngoing);
  now_ += 200;
  coordinator_->expire_due();
  EXPECT_EQ(state("a"), TxnState::kCompleteAbort);
  ASSERT_EQ(markers_.size(), 1u);
  EXPECT_EQ(markers_[0], (Marker{{"t", 1}, p.producer_id, int16_t(p.producer_epoch + 1), false}));
  EXPECT_EQ(end("a", p, true), ErrorCode::kProducerFenced);
  EXPECT_EQ(coordinator_->end_txn({"a", p.producer_id, p.producer_epoch, true}, 1),
            ErrorCode::kInvalidProducerEpoch);
}

TEST_F(TxnCoordinatorTest, FailedMarkersLeaveThePrepareStateAndAreRetried) {
  auto p = init("a");
  ASSERT_EQ(add("a", p, {0}), ErrorCode::kNone);
  fail_markers_ = true;
  EXPECT_EQ(end("a", p, true), ErrorCode::kNone);  // the decision is durable
  EXPECT_EQ(state("a"), TxnState::kPrepareCommit);
  EXPECT_EQ(add("a", p, {1}), ErrorCode::kConcurrentTransactions);
  EXPECT_EQ(init("a").error, ErrorCode::kConcurrentTransactions);
  fail_markers_ = false;
  coordinator_->expire_due();
  EXPECT_EQ(state("a"), TxnState::kCompleteCommit);
  EXPECT_EQ(markers_.size(), 1u);
}

TEST_F(TxnCoordinatorTest, RecoveryCompletesPrepareCommitAndAbortsOngoing) {
  auto committing = init("committing");
  auto ongoing = init("ongoing");
  ASSERT_EQ(add("committing", committing, {0}), ErrorCode::kNone);
  ASSERT_EQ(add("ongoing", ongoing, {1}), ErrorCode::kNone);
  fail_markers_ = true;
  ASSERT_EQ(end("committing", committing, true), ErrorCode::kNone);  // stuck in PrepareCommit
  fail_markers_ = false;
  // A partition holds a transaction of a producer id the coordinator does not know.
  open_in_logs_ = {{{"t", 2}, 7, 3, 50}, {{"t", 1}, ongoing.producer_id, ongoing.producer_epoch, 9}};
  reopen();
  EXPECT_EQ(state("committing"), TxnState::kCompleteCommit);
  EXPECT_EQ(state("ongoing"), TxnState::kCompleteAbort);
  EXPECT_EQ(markers_, (std::vector<Marker>{
                          {{"t", 0}, committing.producer_id, committing.producer_epoch, true},
                          {{"t", 1}, ongoing.producer_id, int16_t(ongoing.producer_epoch + 1), false},
                          {{"t", 2}, 7, 3, false}}));
  // The fenced producer gets its error; the next InitProducerId works.
  EXPECT_EQ(end("ongoing", ongoing, true), ErrorCode::kProducerFenced);
  auto again = init("ongoing");
  EXPECT_EQ(again.error, ErrorCode::kNone);
  EXPECT_EQ(again.producer_epoch, ongoing.producer_epoch + 2);
}

TEST_F(TxnCoordinatorTest, TheLogKeepsTheLatestStateAndDropsATornTail) {
  auto p = init("a");
  ASSERT_EQ(add("a", p, {0, 1}), ErrorCode::kNone);
  TransactionMetadata before = *coordinator_->find("a");
  coordinator_.reset();
  {
    std::ofstream out(dir_.path() / "__transaction_state" / "transactions.log",
                      std::ios::binary | std::ios::app);
    out.write("\0\0\0\x40garbage", 11);  // a frame a crash cut short
  }
  open_in_logs_ = {};
  coordinator_ = open();  // recovery aborts the Ongoing transaction
  const TransactionMetadata* after = coordinator_->find("a");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->producer_id, before.producer_id);
  EXPECT_EQ(after->state, TxnState::kCompleteAbort);
  EXPECT_EQ(markers_.size(), 2u);
  auto round = TransactionLog::parse(TransactionLog::serialize(before));
  ASSERT_TRUE(round);
  EXPECT_EQ(*round, before);
  EXPECT_FALSE(TransactionLog::parse(TransactionLog::serialize(before).substr(0, 20)));
}

}  // namespace
}  // namespace sluice::broker::txn
