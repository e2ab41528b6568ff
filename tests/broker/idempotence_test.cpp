// Idempotent producers against a real broker: InitProducerId, and Produce deduplicating
// retries, refusing gaps and fenced epochs with Kafka's error codes, across clean restarts
// and crashes. Real librdkafka producers are in tests/integration/test_idempotence.py.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "broker_fixture.h"
#include "common/batch_header.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/record_batch.h"

namespace sluice::broker::testing {
namespace {

using namespace sluice::kafka;

const int64_t kNow = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

std::string idempotent_batch(int64_t pid, int16_t epoch, int32_t seq,
                             std::vector<std::string> values) {
  RecordBatchBuilder b;
  b.producer(pid, epoch, seq);
  for (auto& v : values) b.add(kNow, std::nullopt, std::string_view(v));
  return b.build();
}

ProduceResponse::Partition produce(RawClient& c, const std::string& topic,
                                   const std::string& records, int16_t version = 7) {
  ProduceRequest req;
  req.acks = -1;
  req.timeout_ms = 5000;
  req.topics.push_back({topic, {{0, Records{false, records, {}}}}});
  auto resp = c.call<ProduceResponse>(ApiKey::kProduce, version, req);
  return resp.responses.at(0).partitions.at(0);
}

InitProducerIdResponse init_producer_id(RawClient& c, int16_t version,
                                        std::optional<std::string> transactional_id = std::nullopt,
                                        int64_t pid = -1, int16_t epoch = -1) {
  InitProducerIdRequest req;
  req.transactional_id = std::move(transactional_id);
  req.transaction_timeout_ms = 60000;
  req.producer_id = pid;
  req.producer_epoch = epoch;
  return c.call<InitProducerIdResponse>(ApiKey::kInitProducerId, version, req);
}

std::vector<std::string> fetch_values(RawClient& c, const std::string& topic) {
  FetchRequest req;
  req.max_wait_ms = 0;
  req.min_bytes = 1;
  req.max_bytes = 1 << 20;
  FetchRequest::Partition p;
  p.partition = 0;
  p.fetch_offset = 0;
  p.partition_max_bytes = 1 << 20;
  req.topics.push_back({topic, {p}});
  auto resp = c.call<FetchResponse>(ApiKey::kFetch, 11, req);
  std::string_view records = resp.responses.at(0).partitions.at(0).records.view;
  std::vector<std::string> out;
  while (records.size() >= batch_layout::kHeaderSize) {
    BatchHeaderView h(reinterpret_cast<const uint8_t*>(records.data()));
    auto batch =
        decode_batch({reinterpret_cast<const uint8_t*>(records.data()), h.total_size()}, 1 << 20);
    for (auto& r : batch.records) out.push_back(r.value.value_or("<null>"));
    records.remove_prefix(h.total_size());
  }
  return out;
}

void create_topic(RawClient& c, const std::string& name) {
  CreateTopicsRequest req;
  req.topics.push_back({name, 1, 1, {}, {}});
  auto resp = c.call<CreateTopicsResponse>(ApiKey::kCreateTopics, 4, req);
  ASSERT_EQ(resp.topics.at(0).error_code, 0);
}

class IdempotenceTest : public BrokerTest {
 protected:
  /// What a kill -9 leaves behind: the data dir's files as they are while the broker runs
  /// (every append is written at once; no snapshot is written at close). Stops the broker
  /// and starts a new one on that copy.
  void crash_and_restart() {
    const auto data = dir_.path() / "data";
    const auto copy = dir_.path() / "crash-copy";
    std::filesystem::copy(data, copy, std::filesystem::copy_options::recursive);
    stop();
    std::filesystem::remove_all(data);
    std::filesystem::rename(copy, data);
    start();
  }
};

TEST_F(IdempotenceTest, ApiVersionsAdvertisesInitProducerIdZeroToFour) {
  start();
  RawClient c(port());
  ApiVersionsRequest req{"test", "1.0"};
  auto resp = c.call<ApiVersionsResponse>(ApiKey::kApiVersions, 3, req);
  bool found = false;
  for (const auto& api : resp.api_keys) {
    if (api.api_key != int16_t(ApiKey::kInitProducerId)) continue;
    found = true;
    EXPECT_EQ(api.min_version, 0);
    EXPECT_EQ(api.max_version, 4);
  }
  EXPECT_TRUE(found);
}

TEST_F(IdempotenceTest, InitProducerIdHandsOutFreshIdsWithEpochZeroAtEveryVersion) {
  start();
  RawClient c(port());
  std::set<int64_t> ids;
  for (int16_t v = 0; v <= 4; ++v) {
    auto r = init_producer_id(c, v);
    EXPECT_EQ(r.error_code, 0) << "v" << v;
    EXPECT_GE(r.producer_id, 0);
    EXPECT_EQ(r.producer_epoch, 0);
    ids.insert(r.producer_id);
  }
  EXPECT_EQ(ids.size(), 5u);
  // v3+: naming the current id and epoch gets a new id (Kafka bumps epochs only for
  // transactional ids), never the same one.
  auto bumped = init_producer_id(c, 4, std::nullopt, *ids.rbegin(), 0);
  EXPECT_EQ(bumped.error_code, 0);
  EXPECT_EQ(ids.count(bumped.producer_id), 0u);
  EXPECT_EQ(bumped.producer_epoch, 0);
}

TEST_F(IdempotenceTest, InitProducerIdRefusesWhatKafkaRefuses) {
  start();
  RawClient c(port());
  auto half = init_producer_id(c, 3, std::nullopt, 5, -1);
  EXPECT_EQ(half.error_code, code(ErrorCode::kInvalidRequest));
  auto empty = init_producer_id(c, 1, std::string());
  EXPECT_EQ(empty.error_code, code(ErrorCode::kInvalidRequest));
  // A transactional id with only one of producer id and epoch is refused too.
  auto txn = init_producer_id(c, 3, std::string("my-txn"), 5, -1);
  EXPECT_EQ(txn.error_code, code(ErrorCode::kInvalidRequest));
  EXPECT_EQ(txn.producer_id, -1);
}

TEST_F(IdempotenceTest, ProducerIdsAreNeverReusedAfterARestartOrACrash) {
  start();
  int64_t last = -1;
  {
    RawClient c(port());
    for (int i = 0; i < 3; ++i) last = std::max(last, init_producer_id(c, 4).producer_id);
  }
  stop();
  start();
  {
    RawClient c(port());
    auto r = init_producer_id(c, 4);
    ASSERT_EQ(r.error_code, 0);
    EXPECT_GT(r.producer_id, last);
    last = r.producer_id;
  }
  crash_and_restart();
  RawClient c(port());
  auto r = init_producer_id(c, 4);
  ASSERT_EQ(r.error_code, 0);
  EXPECT_GT(r.producer_id, last);
}

TEST_F(IdempotenceTest, ARetriedBatchIsAcknowledgedWithItsOriginalOffsetAndStoredOnce) {
  start();
  RawClient c(port());
  create_topic(c, "t");
  const int64_t pid = init_producer_id(c, 4).producer_id;
  auto first = produce(c, "t", idempotent_batch(pid, 0, 0, {"a", "b", "c"}));
  ASSERT_EQ(first.error_code, 0);
  EXPECT_EQ(first.base_offset, 0);
  auto other = produce(c, "t", idempotent_batch(pid + 1, 0, 0, {"x"}));
  ASSERT_EQ(other.error_code, 0);
  auto second = produce(c, "t", idempotent_batch(pid, 0, 3, {"d"}));
  ASSERT_EQ(second.error_code, 0);
  EXPECT_EQ(second.base_offset, 4);

  for (int16_t version : {3, 7, 8}) {
    auto retry = produce(c, "t", idempotent_batch(pid, 0, 0, {"a", "b", "c"}), version);
    EXPECT_EQ(retry.error_code, 0) << "v" << version;
    EXPECT_EQ(retry.base_offset, 0) << "v" << version;
  }
  auto retry_last = produce(c, "t", idempotent_batch(pid, 0, 3, {"d"}));
  EXPECT_EQ(retry_last.error_code, 0);
  EXPECT_EQ(retry_last.base_offset, 4);
  EXPECT_EQ(fetch_values(c, "t"), (std::vector<std::string>{"a", "b", "c", "x", "d"}));
}

TEST_F(IdempotenceTest, GapsAndFencedEpochsGetKafkasErrorCodes) {
  start();
  RawClient c(port());
  create_topic(c, "t");
  ASSERT_EQ(produce(c, "t", idempotent_batch(42, 1, 0, {"a", "b"})).error_code, 0);
  auto gap = produce(c, "t", idempotent_batch(42, 1, 3, {"c"}));
  EXPECT_EQ(gap.error_code, code(ErrorCode::kOutOfOrderSequenceNumber));
  EXPECT_EQ(gap.base_offset, -1);
  auto fenced = produce(c, "t", idempotent_batch(42, 0, 2, {"c"}));
  EXPECT_EQ(fenced.error_code, code(ErrorCode::kInvalidProducerEpoch));
  auto new_epoch_mid_sequence = produce(c, "t", idempotent_batch(42, 2, 2, {"c"}));
  EXPECT_EQ(new_epoch_mid_sequence.error_code, code(ErrorCode::kOutOfOrderSequenceNumber));
  auto v8 = produce(c, "t", idempotent_batch(42, 1, 5, {"c"}), 8);
  EXPECT_EQ(v8.error_code, code(ErrorCode::kOutOfOrderSequenceNumber));
  EXPECT_NE(v8.error_message.value_or("").find("expected sequence 2"), std::string::npos)
      << v8.error_message.value_or("");
  EXPECT_EQ(produce(c, "t", idempotent_batch(42, 1, 2, {"c"})).error_code, 0);
  EXPECT_EQ(produce(c, "t", idempotent_batch(42, 2, 0, {"d"})).error_code, 0);
  EXPECT_EQ(fetch_values(c, "t"), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST_F(IdempotenceTest, DeduplicationSurvivesACleanRestartAndACrash) {
  start();
  int64_t pid;
  {
    RawClient c(port());
    create_topic(c, "t");
    pid = init_producer_id(c, 4).producer_id;
    ASSERT_EQ(produce(c, "t", idempotent_batch(pid, 0, 0, {"a", "b"})).error_code, 0);
    ASSERT_EQ(produce(c, "t", idempotent_batch(pid, 0, 2, {"c"})).error_code, 0);
  }
  stop();
  start();
  {
    RawClient c(port());
    auto retry = produce(c, "t", idempotent_batch(pid, 0, 2, {"c"}));
    EXPECT_EQ(retry.error_code, 0);
    EXPECT_EQ(retry.base_offset, 2);
    ASSERT_EQ(produce(c, "t", idempotent_batch(pid, 0, 3, {"d"})).error_code, 0);
  }
  crash_and_restart();
  RawClient c(port());
  auto retry = produce(c, "t", idempotent_batch(pid, 0, 3, {"d"}));
  EXPECT_EQ(retry.error_code, 0);
  EXPECT_EQ(retry.base_offset, 3);
  EXPECT_EQ(produce(c, "t", idempotent_batch(pid, 0, 5, {"e"})).error_code,
            code(ErrorCode::kOutOfOrderSequenceNumber));
  EXPECT_EQ(fetch_values(c, "t"), (std::vector<std::string>{"a", "b", "c", "d"}));
}

}  // namespace
}  // namespace sluice::broker::testing
