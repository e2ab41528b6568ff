// Transactions through the wire protocol against a real broker: the happy path (LSO,
// read_committed Fetch with aborted transactions, ListOffsets by isolation level, offsets
// committed with the transaction), and the bad input the issue lists, each answered with
// the error code Kafka gives, without a partition left behind an LSO that never moves.
// Real clients are in tests/integration/test_transactions*.py.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "broker_fixture.h"
#include "common/batch_header.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/record_batch.h"

namespace sluice::broker::testing {
namespace {

using namespace sluice::kafka;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TransactionsTest : public BrokerTest {
 protected:
  void SetUp() override {
    start();
    c_ = std::make_unique<RawClient>(port());
    CreateTopicsRequest req;
    req.topics.push_back({"t", 2, 1, {}, {}});
    auto resp = c_->call<CreateTopicsResponse>(ApiKey::kCreateTopics, 4, req);
    ASSERT_EQ(resp.topics.at(0).error_code, 0);
  }
  void TearDown() override {
    c_.reset();
    stop();
  }
  /// What a kill -9 leaves behind: the data dir copied while the broker runs.
  void crash_and_restart() {
    c_.reset();
    const auto data = dir_.path() / "data";
    const auto copy = dir_.path() / "crash-copy";
    std::filesystem::copy(data, copy, std::filesystem::copy_options::recursive);
    stop();
    std::filesystem::remove_all(data);
    std::filesystem::rename(copy, data);
    start();
    c_ = std::make_unique<RawClient>(port());
  }

  InitProducerIdResponse init(const std::string& id, int16_t version = 4,
                              int32_t timeout_ms = 60000, int64_t pid = -1, int16_t epoch = -1) {
    InitProducerIdRequest req;
    req.transactional_id = id;
    req.transaction_timeout_ms = timeout_ms;
    req.producer_id = pid;
    req.producer_epoch = epoch;
    return c_->call<InitProducerIdResponse>(ApiKey::kInitProducerId, version, req);
  }
  AddPartitionsToTxnResponse add_partitions(const std::string& id, int64_t pid, int16_t epoch,
                                            std::vector<AddPartitionsToTxnRequest::Topic> topics,
                                            int16_t version = 3) {
    AddPartitionsToTxnRequest req{id, pid, epoch, std::move(topics)};
    return c_->call<AddPartitionsToTxnResponse>(ApiKey::kAddPartitionsToTxn, version, req);
  }
  int16_t end_txn(const std::string& id, int64_t pid, int16_t epoch, bool commit,
                  int16_t version = 3) {
    EndTxnRequest req{id, pid, epoch, commit};
    return c_->call<EndTxnResponse>(ApiKey::kEndTxn, version, req).error_code;
  }
  ProduceResponse::Partition produce(int32_t partition, int64_t pid, int16_t epoch, int32_t seq,
                                     std::vector<std::string> values, bool transactional = true) {
    RecordBatchBuilder b;
    b.producer(pid, epoch, seq).transactional(transactional);
    for (auto& v : values) b.add(now_ms(), std::nullopt, std::string_view(v));
    std::string records = b.build();
    ProduceRequest req;
    req.acks = -1;
    req.timeout_ms = 5000;
    req.topics.push_back({"t", {{partition, Records{false, records, {}}}}});
    return c_->call<ProduceResponse>(ApiKey::kProduce, 7, req).responses.at(0).partitions.at(0);
  }
  struct Fetched {
    FetchResponse::Partition partition;
    /// Data records, and for read_committed without the aborted ones, dropped as Kafka's
    /// consumers do: a transactional batch of a producer in aborted_transactions, from
    /// that entry's first offset until the producer's abort marker.
    std::vector<std::string> values;
    int control_batches = 0;
  };
  Fetched fetch(int32_t partition, int8_t isolation, int64_t offset = 0) {
    FetchRequest req;
    req.max_wait_ms = 0;
    req.min_bytes = 1;
    req.isolation_level = isolation;
    FetchRequest::Partition p;
    p.partition = partition;
    p.fetch_offset = offset;
    p.partition_max_bytes = 1 << 20;
    req.topics.push_back({"t", {p}});
    auto resp = c_->call<FetchResponse>(ApiKey::kFetch, 11, req);
    Fetched out{resp.responses.at(0).partitions.at(0), {}, 0};
    std::vector<FetchResponse::AbortedTransaction> pending;
    if (out.partition.aborted_transactions) pending = *out.partition.aborted_transactions;
    std::set<int64_t> aborting;
    std::string_view records = out.partition.records.view;
    while (records.size() >= batch_layout::kHeaderSize) {
      BatchHeaderView h(reinterpret_cast<const uint8_t*>(records.data()));
      auto batch = decode_batch(
          {reinterpret_cast<const uint8_t*>(records.data()), h.total_size()}, 1 << 20);
      records.remove_prefix(h.total_size());
      std::erase_if(pending, [&](const FetchResponse::AbortedTransaction& t) {
        if (t.first_offset > h.last_offset()) return false;
        aborting.insert(t.producer_id);
        return true;
      });
      if (h.is_control()) {
        ++out.control_batches;
        const auto& key = batch.records.at(0).key.value();
        if (key[3] == 0) aborting.erase(h.producer_id());
        continue;
      }
      if (isolation == 1 && h.is_transactional() && aborting.count(h.producer_id())) continue;
      for (auto& r : batch.records) out.values.push_back(r.value.value_or("<null>"));
    }
    return out;
  }
  int64_t latest(int32_t partition, int8_t isolation) {
    ListOffsetsRequest req;
    req.isolation_level = isolation;
    req.topics.push_back({"t", {{partition, -1, kLatestTimestamp, 1}}});
    auto resp = c_->call<ListOffsetsResponse>(ApiKey::kListOffsets, 5, req);
    EXPECT_EQ(resp.topics.at(0).partitions.at(0).error_code, 0);
    return resp.topics.at(0).partitions.at(0).offset;
  }

  std::unique_ptr<RawClient> c_;
};

TEST_F(TransactionsTest, InitProducerIdBumpsTheEpochAndFencesOlderInstances) {
  auto first = init("app");
  ASSERT_EQ(first.error_code, 0);
  EXPECT_EQ(first.producer_epoch, 0);
  auto second = init("app");
  ASSERT_EQ(second.error_code, 0);
  EXPECT_EQ(second.producer_id, first.producer_id);
  EXPECT_EQ(second.producer_epoch, 1);
  // KIP-360: a producer naming an epoch that is no longer current is fenced; v4 says
  // PRODUCER_FENCED, older versions INVALID_PRODUCER_EPOCH.
  EXPECT_EQ(init("app", 4, 60000, first.producer_id, 0).error_code, code(ErrorCode::kProducerFenced));
  EXPECT_EQ(init("app", 3, 60000, first.producer_id, 0).error_code,
            code(ErrorCode::kInvalidProducerEpoch));
  auto bumped = init("app", 4, 60000, second.producer_id, second.producer_epoch);
  EXPECT_EQ(bumped.error_code, 0);
  EXPECT_EQ(bumped.producer_epoch, 2);
  EXPECT_EQ(init("app", 4, 0).error_code, code(ErrorCode::kInvalidTransactionTimeout));
  EXPECT_EQ(init("app", 4, 16 * 60 * 1000).error_code,
            code(ErrorCode::kInvalidTransactionTimeout));
  EXPECT_NE(init("other").producer_id, first.producer_id);
}

TEST_F(TransactionsTest, CommitAndAbortMarkersAndTheLastStableOffset) {
  auto p = init("app");
  auto added = add_partitions("app", p.producer_id, p.producer_epoch, {{"t", {0, 1}}});
  for (auto& part : added.results.at(0).results) EXPECT_EQ(part.error_code, 0);
  ASSERT_EQ(produce(0, p.producer_id, p.producer_epoch, 0, {"a", "b"}).error_code, 0);
  ASSERT_EQ(produce(1, p.producer_id, p.producer_epoch, 0, {"x"}).error_code, 0);
  // Open: read_committed sees nothing and the LSO is the transaction's first offset.
  auto open = fetch(0, 1);
  EXPECT_TRUE(open.values.empty());
  EXPECT_EQ(open.partition.last_stable_offset, 0);
  EXPECT_EQ(open.partition.high_watermark, 2);
  EXPECT_EQ(fetch(0, 0).values, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(latest(0, 1), 0);
  EXPECT_EQ(latest(0, 0), 2);
  ASSERT_EQ(end_txn("app", p.producer_id, p.producer_epoch, true), 0);
  auto committed = fetch(0, 1);
  EXPECT_EQ(committed.values, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(committed.control_batches, 1);
  EXPECT_EQ(committed.partition.last_stable_offset, 3);
  ASSERT_TRUE(committed.partition.aborted_transactions);
  EXPECT_TRUE(committed.partition.aborted_transactions->empty());
  EXPECT_EQ(latest(0, 1), 3);
  EXPECT_EQ(fetch(1, 1).values, (std::vector<std::string>{"x"}));

  // A second transaction, aborted: listed in aborted_transactions from its first offset.
  add_partitions("app", p.producer_id, p.producer_epoch, {{"t", {0}}});
  ASSERT_EQ(produce(0, p.producer_id, p.producer_epoch, 2, {"c"}).error_code, 0);
  ASSERT_EQ(end_txn("app", p.producer_id, p.producer_epoch, false), 0);
  auto aborted = fetch(0, 1);
  ASSERT_TRUE(aborted.partition.aborted_transactions);
  ASSERT_EQ(aborted.partition.aborted_transactions->size(), 1u);
  EXPECT_EQ(aborted.partition.aborted_transactions->at(0).producer_id, p.producer_id);
  EXPECT_EQ(aborted.partition.aborted_transactions->at(0).first_offset, 3);
  EXPECT_EQ(aborted.partition.last_stable_offset, 5);
  // A fetch from past the abort marker needs no aborted list.
  EXPECT_TRUE(fetch(0, 1, 5).partition.aborted_transactions->empty());
  // Retrying the EndTxn that completed is fine; asking the other way is not.
  EXPECT_EQ(end_txn("app", p.producer_id, p.producer_epoch, false), 0);
  EXPECT_EQ(end_txn("app", p.producer_id, p.producer_epoch, true), code(ErrorCode::kInvalidTxnState));
}

TEST_F(TransactionsTest, EndTxnForAnUnknownOrFencedProducerGetsKafkasErrors) {
  EXPECT_EQ(end_txn("nobody", 42, 0, true), code(ErrorCode::kInvalidProducerIdMapping));
  auto p = init("app");
  EXPECT_EQ(end_txn("app", p.producer_id + 1, 0, true), code(ErrorCode::kInvalidProducerIdMapping));
  // Nothing begun: INVALID_TXN_STATE.
  EXPECT_EQ(end_txn("app", p.producer_id, p.producer_epoch, true), code(ErrorCode::kInvalidTxnState));
  add_partitions("app", p.producer_id, p.producer_epoch, {{"t", {0}}});
  ASSERT_EQ(produce(0, p.producer_id, p.producer_epoch, 0, {"a"}).error_code, 0);
  auto newer = init("app");  // fences p and aborts its transaction
  EXPECT_EQ(newer.producer_epoch, p.producer_epoch + 2);
  EXPECT_EQ(end_txn("app", p.producer_id, p.producer_epoch, true, 3), code(ErrorCode::kProducerFenced));
  EXPECT_EQ(end_txn("app", p.producer_id, p.producer_epoch, true, 1),
            code(ErrorCode::kInvalidProducerEpoch));
  // The fenced producer cannot write either, and its aborted records stay invisible.
  EXPECT_EQ(produce(0, p.producer_id, p.producer_epoch, 1, {"b"}).error_code,
            code(ErrorCode::kInvalidProducerEpoch));
  auto f = fetch(0, 1);
  EXPECT_TRUE(f.values.empty());
  EXPECT_EQ(f.partition.last_stable_offset, f.partition.high_watermark);
  EXPECT_EQ(f.partition.aborted_transactions->size(), 1u);
}

TEST_F(TransactionsTest, AddPartitionsToTxnForAMissingTopicAddsNothing) {
  auto p = init("app");
  auto resp = add_partitions("app", p.producer_id, p.producer_epoch, {{"t", {0}}, {"missing", {0}}});
  ASSERT_EQ(resp.results.size(), 2u);
  EXPECT_EQ(resp.results[0].results.at(0).error_code, code(ErrorCode::kOperationNotAttempted));
  EXPECT_EQ(resp.results[1].results.at(0).error_code, code(ErrorCode::kUnknownTopicOrPartition));
  auto bad_partition = add_partitions("app", p.producer_id, p.producer_epoch, {{"t", {7}}});
  EXPECT_EQ(bad_partition.results[0].results.at(0).error_code,
            code(ErrorCode::kUnknownTopicOrPartition));
  // Nothing was added, so producing is refused and there is no transaction to end.
  EXPECT_EQ(produce(0, p.producer_id, p.producer_epoch, 0, {"a"}).error_code,
            code(ErrorCode::kInvalidTxnState));
  EXPECT_EQ(end_txn("app", p.producer_id, p.producer_epoch, true), code(ErrorCode::kInvalidTxnState));
  // Unknown id, wrong epoch (v1: INVALID_PRODUCER_EPOCH, v2+: PRODUCER_FENCED).
  EXPECT_EQ(add_partitions("nobody", 1, 0, {{"t", {0}}}).results[0].results[0].error_code,
            code(ErrorCode::kInvalidProducerIdMapping));
  EXPECT_EQ(add_partitions("app", p.producer_id, 9, {{"t", {0}}}, 1).results[0].results[0].error_code,
            code(ErrorCode::kInvalidProducerEpoch));
  EXPECT_EQ(add_partitions("app", p.producer_id, 9, {{"t", {0}}}, 2).results[0].results[0].error_code,
            code(ErrorCode::kProducerFenced));
}

TEST_F(TransactionsTest, ATransactionalProduceWithoutAddPartitionsToTxnIsRefused) {
  auto p = init("app");
  EXPECT_EQ(produce(0, p.producer_id, p.producer_epoch, 0, {"a"}).error_code,
            code(ErrorCode::kInvalidTxnState));
  // Added to partition 0 only: partition 1 is still refused.
  add_partitions("app", p.producer_id, p.producer_epoch, {{"t", {0}}});
  EXPECT_EQ(produce(1, p.producer_id, p.producer_epoch, 0, {"a"}).error_code,
            code(ErrorCode::kInvalidTxnState));
  // An idempotent producer id the coordinator never gave to a transactional id.
  EXPECT_EQ(produce(1, 999999, 0, 0, {"a"}).error_code, code(ErrorCode::kInvalidProducerIdMapping));
  auto f = fetch(1, 1);
  EXPECT_EQ(f.partition.high_watermark, 0);
  EXPECT_EQ(f.partition.last_stable_offset, 0);  // nothing holds the LSO back
}

TEST_F(TransactionsTest, ALateCommitAfterTheTimeoutIsFencedAndTheLsoMovesOn) {
  auto p = init("slow", 4, 300);
  add_partitions("slow", p.producer_id, p.producer_epoch, {{"t", {0}}});
  ASSERT_EQ(produce(0, p.producer_id, p.producer_epoch, 0, {"a", "b"}).error_code, 0);
  EXPECT_EQ(fetch(0, 1).partition.last_stable_offset, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  EXPECT_EQ(end_txn("slow", p.producer_id, p.producer_epoch, true), code(ErrorCode::kProducerFenced));
  EXPECT_EQ(end_txn("slow", p.producer_id, p.producer_epoch, true, 1),
            code(ErrorCode::kInvalidProducerEpoch));
  auto f = fetch(0, 1);
  EXPECT_TRUE(f.values.empty());
  EXPECT_EQ(f.partition.last_stable_offset, 3);  // two records and the abort marker
  EXPECT_EQ(f.partition.high_watermark, 3);
  ASSERT_EQ(f.partition.aborted_transactions->size(), 1u);
  // The producer may start over naming its id and the epoch the timeout bumped away from
  // (KIP-588), once; an older epoch stays fenced.
  EXPECT_EQ(init("slow", 4, 60000, p.producer_id, int16_t(p.producer_epoch + 5)).error_code,
            code(ErrorCode::kProducerFenced));
  auto recovered = init("slow", 4, 60000, p.producer_id, p.producer_epoch);
  EXPECT_EQ(recovered.error_code, 0);
  EXPECT_EQ(recovered.producer_epoch, p.producer_epoch + 2);
  EXPECT_EQ(init("slow", 4, 60000, p.producer_id, p.producer_epoch).error_code,
            code(ErrorCode::kProducerFenced));
}

TEST_F(TransactionsTest, TxnOffsetCommitIsVisibleOnlyOnceTheTransactionCommits) {
  auto offsets_of = [&](const std::string& group) {
    OffsetFetchRequest req;
    req.group_id = group;
    OffsetFetchRequest::Topic t;
    t.name = "t";
    t.partition_indexes = {0};
    req.topics = std::vector<OffsetFetchRequest::Topic>{t};
    auto resp = c_->call<OffsetFetchResponse>(ApiKey::kOffsetFetch, 5, req);
    return resp.topics.at(0).partitions.at(0).committed_offset;
  };
  auto txn_commit = [&](const InitProducerIdResponse& p, int64_t offset) {
    TxnOffsetCommitRequest req;
    req.transactional_id = "app";
    req.group_id = "g";
    req.producer_id = p.producer_id;
    req.producer_epoch = p.producer_epoch;
    req.topics.push_back({"t", {{0, offset, -1, std::string("m")}}});
    return c_->call<TxnOffsetCommitResponse>(ApiKey::kTxnOffsetCommit, 3, req)
        .topics.at(0)
        .partitions.at(0)
        .error_code;
  };
  auto p = init("app");
  // Without AddOffsetsToTxn first: INVALID_TXN_STATE.
  EXPECT_EQ(txn_commit(p, 5), code(ErrorCode::kInvalidTxnState));
  AddOffsetsToTxnRequest add{"app", p.producer_id, p.producer_epoch, "g"};
  ASSERT_EQ(c_->call<AddOffsetsToTxnResponse>(ApiKey::kAddOffsetsToTxn, 3, add).error_code, 0);
  ASSERT_EQ(txn_commit(p, 5), 0);
  EXPECT_EQ(offsets_of("g"), -1);
  ASSERT_EQ(end_txn("app", p.producer_id, p.producer_epoch, true), 0);
  EXPECT_EQ(offsets_of("g"), 5);
  // Aborted: the offsets never show.
  ASSERT_EQ(c_->call<AddOffsetsToTxnResponse>(ApiKey::kAddOffsetsToTxn, 3, add).error_code, 0);
  ASSERT_EQ(txn_commit(p, 9), 0);
  ASSERT_EQ(end_txn("app", p.producer_id, p.producer_epoch, false), 0);
  EXPECT_EQ(offsets_of("g"), 5);
}

TEST_F(TransactionsTest, ACrashWithTransactionsOpenAbortsThemOnRestart) {
  auto done = init("done");
  add_partitions("done", done.producer_id, done.producer_epoch, {{"t", {0}}});
  ASSERT_EQ(produce(0, done.producer_id, done.producer_epoch, 0, {"kept"}).error_code, 0);
  ASSERT_EQ(end_txn("done", done.producer_id, done.producer_epoch, true), 0);
  auto open = init("open");
  add_partitions("open", open.producer_id, open.producer_epoch, {{"t", {0, 1}}});
  ASSERT_EQ(produce(0, open.producer_id, open.producer_epoch, 0, {"lost"}).error_code, 0);
  ASSERT_EQ(produce(1, open.producer_id, open.producer_epoch, 0, {"lost"}).error_code, 0);
  EXPECT_EQ(fetch(0, 1).partition.last_stable_offset, 2);
  crash_and_restart();
  auto f0 = fetch(0, 1), f1 = fetch(1, 1);
  EXPECT_EQ(f0.values, (std::vector<std::string>{"kept"}));
  EXPECT_TRUE(f1.values.empty());
  EXPECT_EQ(f0.partition.last_stable_offset, f0.partition.high_watermark);
  EXPECT_EQ(f1.partition.last_stable_offset, f1.partition.high_watermark);
  EXPECT_EQ(f0.partition.aborted_transactions->size(), 1u);
  EXPECT_EQ(fetch(0, 0).values, (std::vector<std::string>{"kept", "lost"}));
  // The old producer is fenced; the next InitProducerId works and so does its transaction.
  EXPECT_EQ(end_txn("open", open.producer_id, open.producer_epoch, true),
            code(ErrorCode::kProducerFenced));
  auto again = init("open");
  ASSERT_EQ(again.error_code, 0);
  EXPECT_GT(again.producer_epoch, open.producer_epoch);
  add_partitions("open", again.producer_id, again.producer_epoch, {{"t", {1}}});
  ASSERT_EQ(produce(1, again.producer_id, again.producer_epoch, 0, {"new"}).error_code, 0);
  ASSERT_EQ(end_txn("open", again.producer_id, again.producer_epoch, true), 0);
  EXPECT_EQ(fetch(1, 1).values, (std::vector<std::string>{"new"}));
  // And a clean restart keeps it all (aborted index, producer state, coordinator state).
  c_.reset();
  stop();
  start();
  c_ = std::make_unique<RawClient>(port());
  EXPECT_EQ(fetch(0, 1).values, (std::vector<std::string>{"kept"}));
  EXPECT_EQ(fetch(0, 1).partition.aborted_transactions->size(), 1u);
  EXPECT_EQ(fetch(1, 1).values, (std::vector<std::string>{"new"}));
  EXPECT_EQ(init("open").producer_epoch, again.producer_epoch + 1);
}

TEST_F(TransactionsTest, DescribeAndListTransactions) {
  auto p = init("app");
  add_partitions("app", p.producer_id, p.producer_epoch, {{"t", {1, 0}}});
  init("idle");
  DescribeTransactionsRequest d;
  d.transactional_ids = {"app", "nobody"};
  auto described = c_->call<DescribeTransactionsResponse>(ApiKey::kDescribeTransactions, 0, d);
  ASSERT_EQ(described.transaction_states.size(), 2u);
  const auto& app = described.transaction_states[0];
  EXPECT_EQ(app.error_code, 0);
  EXPECT_EQ(app.transaction_state, "Ongoing");
  EXPECT_EQ(app.producer_id, p.producer_id);
  EXPECT_GT(app.transaction_start_time_ms, 0);
  ASSERT_EQ(app.topics.size(), 1u);
  EXPECT_EQ(app.topics[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(described.transaction_states[1].error_code, code(ErrorCode::kTransactionalIdNotFound));

  ListTransactionsRequest all;
  auto listed = c_->call<ListTransactionsResponse>(ApiKey::kListTransactions, 0, all);
  ASSERT_EQ(listed.transaction_states.size(), 2u);
  ListTransactionsRequest ongoing;
  ongoing.state_filters = {"Ongoing", "Bogus"};
  auto filtered = c_->call<ListTransactionsResponse>(ApiKey::kListTransactions, 0, ongoing);
  ASSERT_EQ(filtered.transaction_states.size(), 1u);
  EXPECT_EQ(filtered.transaction_states[0].transactional_id, "app");
  EXPECT_EQ(filtered.unknown_state_filters, (std::vector<std::string>{"Bogus"}));
}

}  // namespace
}  // namespace sluice::broker::testing
