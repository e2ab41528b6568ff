// Group commit under --flush every-batch (the default): produce answers wait for the fsync
// of their appends, which run on the flusher thread and are shared by every produce made
// meanwhile; nothing is visible to consumers before it is durable; a failed fsync is
// answered with KAFKA_STORAGE_ERROR. The broker's fsyncs are held back or failed through
// BrokerConfig::fsync, so that each test knows what waits where without timing anything.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include "../log/held_sync.h"
#include "broker_fixture.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/record_batch.h"

namespace sluice::broker::testing {
namespace {

using namespace sluice::kafka;

class GroupCommitTest : public BrokerTest {
 protected:
  void start_held() {
    BrokerConfig config;
    config.fsync = held_.function();
    start(config);
  }
  /// Waits until `n` produce appends wait on the flusher behind the held fsync.
  void wait_queued(size_t n) {
    while (broker_->flusher().waiting_completions() < n) std::this_thread::yield();
  }
  log::testing::HeldSync held_;
};

std::string batch_of(const std::string& value) {
  // Stamped now: a record of 1970 would be deleted (and its segment rolled and fsynced) by
  // retention at once.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return RecordBatchBuilder().add(now, std::nullopt, std::string_view(value)).build();
}

void send_produce(RawClient& c, const std::string& topic, int32_t partition,
                  const std::string& value, int16_t acks = -1) {
  const std::string records = batch_of(value);  // the request holds a view of it
  ProduceRequest req;
  req.acks = acks;
  req.timeout_ms = 60000;
  req.topics.push_back({topic, {{partition, Records{false, records, {}}}}});
  c.send_request(ApiKey::kProduce, 7, req);
}

struct Answer {
  int32_t correlation_id = -1;
  ProduceResponse::Partition partition;
};

Answer read_produce_answer(RawClient& c) {
  auto frame = c.read_frame();
  if (!frame) throw std::runtime_error("broker closed the connection");
  WireReader r(*frame);
  Answer a;
  a.correlation_id = r.int32();
  auto resp = decode_message<ProduceResponse>(r, 7, false);
  a.partition = resp.responses.at(0).partitions.at(0);
  return a;
}

void create_topic(RawClient& c, const std::string& name, int32_t partitions) {
  CreateTopicsRequest req;
  req.topics.push_back({name, partitions, 1, {}, {}});
  auto resp = c.call<CreateTopicsResponse>(ApiKey::kCreateTopics, 4, req);
  ASSERT_EQ(resp.topics.at(0).error_code, 0);
}

FetchResponse::Partition fetch(RawClient& c, const std::string& topic, int32_t partition) {
  FetchRequest req;
  req.max_wait_ms = 0;
  req.min_bytes = 1;
  req.max_bytes = 1 << 20;
  req.isolation_level = 0;
  FetchRequest::Partition p;
  p.partition = partition;
  p.fetch_offset = 0;
  p.partition_max_bytes = 1 << 20;
  req.topics.push_back({topic, {p}});
  return c.call<FetchResponse>(ApiKey::kFetch, 11, req).responses.at(0).partitions.at(0);
}

int64_t latest_offset(RawClient& c, const std::string& topic) {
  ListOffsetsRequest req;
  req.topics.push_back({topic, {{0, -1, kLatestTimestamp, 1}}});
  return c.call<ListOffsetsResponse>(ApiKey::kListOffsets, 5, req).topics.at(0).partitions.at(0).offset;
}

TEST_F(GroupCommitTest, ProducesOfManyConnectionsShareOneFsyncAndAreHiddenUntilItIsDone) {
  start_held();
  RawClient admin(port()), consumer(port());
  create_topic(admin, "gc", 1);
  std::vector<std::unique_ptr<RawClient>> producers;
  for (int i = 0; i < 4; ++i) producers.push_back(std::make_unique<RawClient>(port()));
  send_produce(*producers[0], "gc", 0, "p0");
  held_.wait_started(1);  // the first produce's fsync runs, held
  for (int i = 1; i < 4; ++i) send_produce(*producers[i], "gc", 0, "p" + std::to_string(i));
  wait_queued(3);  // appended, all three waiting for the next fsync

  // Appended but not durable: no consumer sees any of it.
  auto before = fetch(consumer, "gc", 0);
  EXPECT_EQ(before.error_code, 0);
  EXPECT_EQ(before.high_watermark, 0);
  EXPECT_TRUE(before.records.view.empty());
  EXPECT_EQ(latest_offset(consumer, "gc"), 0);

  held_.open();
  std::set<int64_t> offsets;
  for (auto& p : producers) {
    auto a = read_produce_answer(*p);
    EXPECT_EQ(a.partition.error_code, 0);
    offsets.insert(a.partition.base_offset);
  }
  EXPECT_EQ(offsets, (std::set<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(held_.started(), 2);  // four produces, two fsyncs
  EXPECT_EQ(fetch(consumer, "gc", 0).high_watermark, 4);
  EXPECT_EQ(latest_offset(consumer, "gc"), 4);
}

TEST_F(GroupCommitTest, PipelinedProducesOnOneConnectionAreAnsweredInRequestOrder) {
  start_held();
  RawClient admin(port()), c(port());
  create_topic(admin, "order", 3);
  send_produce(c, "order", 0, "a");  // correlation id 1
  held_.wait_started(1);
  send_produce(c, "order", 1, "b");  // 2 and 3: read and appended while 1 waits
  send_produce(c, "order", 2, "c");
  wait_queued(2);
  MetadataRequest meta;  // 4: handled only after the answers before it are sent
  c.send_request(ApiKey::kMetadata, 8, meta);
  held_.open();
  for (int32_t id = 1; id <= 3; ++id) {
    auto a = read_produce_answer(c);
    EXPECT_EQ(a.correlation_id, id);
    EXPECT_EQ(a.partition.error_code, 0);
    EXPECT_EQ(a.partition.index, id - 1);
  }
  auto frame = c.read_frame();
  ASSERT_TRUE(frame);
  WireReader r(*frame);
  EXPECT_EQ(r.int32(), 4);
}

TEST_F(GroupCommitTest, AFailedFsyncIsAnsweredWithKafkaStorageErrorAndNothingBecomesVisible) {
  start_held();
  RawClient admin(port()), c(port());
  create_topic(admin, "bad-disk", 1);
  send_produce(c, "bad-disk", 0, "lost");
  held_.wait_started(1);
  held_.open(/*fail=*/true);
  auto a = read_produce_answer(c);
  EXPECT_EQ(a.partition.error_code, code(ErrorCode::kKafkaStorageError));
  EXPECT_EQ(a.partition.base_offset, -1);
  // The log takes no more appends (the kernel may have dropped the unsynced pages).
  send_produce(c, "bad-disk", 0, "refused");
  EXPECT_EQ(read_produce_answer(c).partition.error_code, code(ErrorCode::kKafkaStorageError));
  auto f = fetch(admin, "bad-disk", 0);
  EXPECT_EQ(f.high_watermark, 0);
  EXPECT_TRUE(f.records.view.empty());
}

TEST_F(GroupCommitTest, StopSendsTheAnswersThatWaitForAnFsyncFirst) {
  start_held();
  RawClient admin(port()), c(port());
  create_topic(admin, "drain", 1);
  send_produce(c, "drain", 0, "last words");
  held_.wait_started(1);
  broker_->stop();
  // Once the listener is closed, stop() is waiting for the answer.
  for (;;) {
    try {
      RawClient probe(port());
    } catch (const std::runtime_error&) {
      break;
    }
    std::this_thread::yield();
  }
  held_.open();
  auto a = read_produce_answer(c);
  EXPECT_EQ(a.partition.error_code, 0);
  EXPECT_EQ(a.partition.base_offset, 0);
  thread_.join();
}

TEST_F(GroupCommitTest, AcksZeroProducesBecomeVisibleWhenDurable) {
  start_held();
  RawClient admin(port()), c(port());
  create_topic(admin, "fire", 1);
  send_produce(c, "fire", 0, "x", /*acks=*/0);
  held_.wait_started(1);
  EXPECT_EQ(fetch(admin, "fire", 0).high_watermark, 0);
  held_.open();
  while (fetch(admin, "fire", 0).high_watermark < 1) std::this_thread::yield();
}

}  // namespace
}  // namespace sluice::broker::testing
