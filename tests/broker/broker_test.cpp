// The broker as a real server on loopback, spoken to with our own codecs. Clients we did
// not write are exercised in tests/integration; these cover protocol edge cases and bad
// input that real clients never send.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>

#include "broker_fixture.h"
#include "kafka/protocol/errors.h"
#include "common/batch_header.h"
#include "kafka/protocol/record_batch.h"

namespace sluice::broker::testing {
namespace {

using namespace sluice::kafka;

// Timestamps near now: records stamped in 1970 would be deleted at once by retention.
const int64_t kNow = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

std::string batch_of(std::vector<std::string> values, int64_t ts = kNow) {
  RecordBatchBuilder b;
  for (auto& v : values) b.add(ts, std::nullopt, std::string_view(v));
  return b.build();
}

ProduceResponse::Partition produce(RawClient& c, const std::string& topic, int32_t partition,
                                   const std::string& records, int16_t version = 7) {
  ProduceRequest req;
  req.acks = -1;
  req.timeout_ms = 5000;
  req.topics.push_back({topic, {{partition, Records{false, records, {}}}}});
  auto resp = c.call<ProduceResponse>(ApiKey::kProduce, version, req);
  EXPECT_EQ(resp.responses.size(), 1u);
  return resp.responses.at(0).partitions.at(0);
}

FetchResponse::Partition fetch(RawClient& c, const std::string& topic, int32_t partition,
                               int64_t offset, int32_t max_wait_ms = 0) {
  FetchRequest req;
  req.max_wait_ms = max_wait_ms;
  req.min_bytes = 1;
  req.max_bytes = 1 << 20;
  FetchRequest::Partition p;
  p.partition = partition;
  p.fetch_offset = offset;
  p.partition_max_bytes = 1 << 20;
  req.topics.push_back({topic, {p}});
  auto resp = c.call<FetchResponse>(ApiKey::kFetch, 11, req);
  return resp.responses.at(0).partitions.at(0);
}

std::vector<std::string> values_in(std::string_view records) {
  std::vector<std::string> out;
  while (records.size() >= 61) {
    BatchHeaderView h(reinterpret_cast<const uint8_t*>(records.data()));
    size_t n = h.total_size();
    auto batch = decode_batch({reinterpret_cast<const uint8_t*>(records.data()), n}, 1 << 20);
    for (auto& r : batch.records) out.push_back(r.value.value_or("<null>"));
    records.remove_prefix(n);
  }
  return out;
}

void create_topic(RawClient& c, const std::string& name, int32_t partitions,
                  std::vector<CreatableConfig> configs = {}) {
  CreateTopicsRequest req;
  req.topics.push_back({name, partitions, 1, {}, std::move(configs)});
  auto resp = c.call<CreateTopicsResponse>(ApiKey::kCreateTopics, 4, req);
  ASSERT_EQ(resp.topics.at(0).error_code, 0) << resp.topics[0].error_message.value_or("");
}

TEST_F(BrokerTest, ApiVersionsListsEveryApiAtEveryVersionWeServe) {
  start();
  RawClient c(port());
  for (int16_t v = 0; v <= 3; ++v) {
    ApiVersionsRequest req{"test", "1.0"};
    auto resp = c.call<ApiVersionsResponse>(ApiKey::kApiVersions, v, req);
    EXPECT_EQ(resp.error_code, 0);
    EXPECT_EQ(resp.api_keys.size(), supported_apis().size());
  }
}

TEST_F(BrokerTest, ApiVersionsOfAnUnknownVersionAnswersV0WithUnsupportedVersion) {
  start();
  RawClient c(port());
  ApiVersionsRequest req;
  c.send_request(ApiKey::kApiVersions, 9, req);
  auto frame = c.read_frame();
  ASSERT_TRUE(frame);
  WireReader r(*frame);
  r.int32();
  auto resp = decode_message<ApiVersionsResponse>(r, 0, false);
  EXPECT_EQ(resp.error_code, code(ErrorCode::kUnsupportedVersion));
  EXPECT_FALSE(resp.api_keys.empty());
}

TEST_F(BrokerTest, MetadataAutoCreatesTopicsWhenAllowed) {
  start();
  RawClient c(port());
  MetadataRequest req;
  req.topics = std::vector<MetadataRequest::Topic>{{"auto"}};
  auto resp = c.call<MetadataResponse>(ApiKey::kMetadata, 8, req);
  ASSERT_EQ(resp.topics.size(), 1u);
  EXPECT_EQ(resp.topics[0].error_code, 0);
  EXPECT_EQ(resp.topics[0].partitions.size(), 1u);
  EXPECT_EQ(resp.brokers.at(0).port, port());
  EXPECT_TRUE(resp.cluster_id.has_value());
}

TEST_F(BrokerTest, MetadataAndProduceToAMissingTopicFailWithAutoCreateOff) {
  BrokerConfig config;
  config.auto_create_topics = false;
  start(config);
  RawClient c(port());
  MetadataRequest req;
  req.topics = std::vector<MetadataRequest::Topic>{{"nope"}};
  auto resp = c.call<MetadataResponse>(ApiKey::kMetadata, 8, req);
  EXPECT_EQ(resp.topics.at(0).error_code, code(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(produce(c, "nope", 0, batch_of({"x"})).error_code,
            code(ErrorCode::kUnknownTopicOrPartition));
}

TEST_F(BrokerTest, ProducedBatchesComeBackFromFetchWithTheirOffsets) {
  start();
  RawClient c(port());
  create_topic(c, "t", 2);
  auto p1 = produce(c, "t", 1, batch_of({"a", "b", "c"}));
  EXPECT_EQ(p1.error_code, 0);
  EXPECT_EQ(p1.base_offset, 0);
  auto p2 = produce(c, "t", 1, batch_of({"d"}));
  EXPECT_EQ(p2.base_offset, 3);
  auto f = fetch(c, "t", 1, 0);
  EXPECT_EQ(f.error_code, 0);
  EXPECT_EQ(f.high_watermark, 4);
  EXPECT_EQ(values_in(f.records.view), (std::vector<std::string>{"a", "b", "c", "d"}));
  auto from_d = fetch(c, "t", 1, 3);
  EXPECT_EQ(values_in(from_d.records.view), (std::vector<std::string>{"d"}));
  EXPECT_TRUE(fetch(c, "t", 0, 0).records.view.empty());
  EXPECT_EQ(fetch(c, "t", 1, 99).error_code, code(ErrorCode::kOffsetOutOfRange));
}

TEST_F(BrokerTest, ALongPollingFetchIsWokenByAProduce) {
  start();
  RawClient producer(port()), consumer(port());
  create_topic(producer, "wake", 1);
  auto waiting = std::async(std::launch::async, [&] { return fetch(consumer, "wake", 0, 0, 30000); });
  // The fetch waits (up to 30 s) for data; the produce must wake it.
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  produce(producer, "wake", 0, batch_of({"hello"}));
  auto f = waiting.get();
  EXPECT_EQ(values_in(f.records.view), (std::vector<std::string>{"hello"}));
}

TEST_F(BrokerTest, RecordsSurviveARestart) {
  start();
  {
    RawClient c(port());
    create_topic(c, "durable", 1);
    produce(c, "durable", 0, batch_of({"one", "two"}));
  }
  stop();
  start();
  RawClient c(port());
  EXPECT_EQ(values_in(fetch(c, "durable", 0, 0).records.view),
            (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(produce(c, "durable", 0, batch_of({"three"})).base_offset, 2);
}

TEST_F(BrokerTest, ABadCrcIsCorruptMessageAndNothingIsAppended) {
  start();
  RawClient c(port());
  create_topic(c, "crc", 1);
  std::string batch = batch_of({"payload"});
  batch.back() ^= 0x01;
  EXPECT_EQ(produce(c, "crc", 0, batch).error_code, code(ErrorCode::kCorruptMessage));
  EXPECT_EQ(fetch(c, "crc", 0, 0).high_watermark, 0);
}

TEST_F(BrokerTest, ABatchOverMaxMessageBytesIsMessageTooLarge) {
  start();
  RawClient c(port());
  create_topic(c, "small", 1, {{"max.message.bytes", "1000"}});
  EXPECT_EQ(produce(c, "small", 0, batch_of({std::string(2000, 'x')})).error_code,
            code(ErrorCode::kMessageTooLarge));
  EXPECT_EQ(produce(c, "small", 0, batch_of({std::string(100, 'x')})).error_code, 0);
}

TEST_F(BrokerTest, ListOffsetsEarliestLatestAndByTimestamp) {
  start();
  RawClient c(port());
  create_topic(c, "times", 1);
  produce(c, "times", 0, batch_of({"a"}, kNow - 2000));
  produce(c, "times", 0, batch_of({"b"}, kNow - 1000));
  auto list = [&](int64_t ts) {
    ListOffsetsRequest req;
    req.topics.push_back({"times", {{0, -1, ts, 1}}});
    return c.call<ListOffsetsResponse>(ApiKey::kListOffsets, 5, req).topics.at(0).partitions.at(0);
  };
  EXPECT_EQ(list(kEarliestTimestamp).offset, 0);
  EXPECT_EQ(list(kLatestTimestamp).offset, 2);
  EXPECT_EQ(list(kNow - 1500).offset, 1);
  EXPECT_EQ(list(kNow + 60000).offset, -1);
}

TEST_F(BrokerTest, ListOffsetsByTimestampIsExactInsideCompressedBatches) {
  start();
  RawClient c(port());
  create_topic(c, "zipped", 1);
  RecordBatchBuilder b;
  b.compression(Compression::kGzip);
  for (int i = 0; i < 100; ++i) b.add(kNow - 100000 + i * 1000, std::nullopt, std::string_view("v"));
  ASSERT_EQ(produce(c, "zipped", 0, b.build()).error_code, 0);
  ListOffsetsRequest req;
  req.topics.push_back({"zipped", {{0, -1, kNow - 100000 + 41500, 1}}});
  auto found = c.call<ListOffsetsResponse>(ApiKey::kListOffsets, 5, req).topics.at(0).partitions.at(0);
  EXPECT_EQ(found.offset, 42);
  EXPECT_EQ(found.timestamp, kNow - 100000 + 42000);
}

TEST_F(BrokerTest, TopicAdminCreateDuplicateDeletePartitionsConfigs) {
  start();
  RawClient c(port());
  create_topic(c, "adm", 2);
  CreateTopicsRequest dup;
  dup.topics.push_back({"adm", 1, 1, {}, {}});
  EXPECT_EQ(c.call<CreateTopicsResponse>(ApiKey::kCreateTopics, 4, dup).topics[0].error_code,
            code(ErrorCode::kTopicAlreadyExists));
  CreateTopicsRequest rf3;
  rf3.topics.push_back({"rf3", 1, 3, {}, {}});
  EXPECT_EQ(c.call<CreateTopicsResponse>(ApiKey::kCreateTopics, 4, rf3).topics[0].error_code,
            code(ErrorCode::kInvalidReplicationFactor));
  CreateTopicsRequest bad_config;
  bad_config.topics.push_back({"badcfg", 1, 1, {}, {{"retention.ms", "soon"}}});
  EXPECT_EQ(c.call<CreateTopicsResponse>(ApiKey::kCreateTopics, 4, bad_config).topics[0].error_code,
            code(ErrorCode::kInvalidConfig));

  CreatePartitionsRequest more;
  more.topics.push_back({"adm", 4, std::nullopt});
  EXPECT_EQ(c.call<CreatePartitionsResponse>(ApiKey::kCreatePartitions, 1, more).results[0].error_code, 0);
  CreatePartitionsRequest fewer;
  fewer.topics.push_back({"adm", 3, std::nullopt});
  EXPECT_EQ(c.call<CreatePartitionsResponse>(ApiKey::kCreatePartitions, 1, fewer).results[0].error_code,
            code(ErrorCode::kInvalidPartitions));

  IncrementalAlterConfigsRequest alter;
  alter.resources.push_back({kResourceTopic, "adm", {{"retention.ms", kConfigOpSet, "60000"}}});
  EXPECT_EQ(c.call<AlterConfigsResponse>(ApiKey::kIncrementalAlterConfigs, 1, alter)
                .responses[0].error_code, 0);
  DescribeConfigsRequest describe;
  describe.resources.push_back({kResourceTopic, "adm", std::vector<std::string>{"retention.ms"}});
  auto described = c.call<DescribeConfigsResponse>(ApiKey::kDescribeConfigs, 3, describe);
  ASSERT_EQ(described.results.at(0).configs.size(), 1u);
  EXPECT_EQ(described.results[0].configs[0].value, "60000");
  EXPECT_EQ(described.results[0].configs[0].config_source, kConfigSourceTopic);

  DeleteTopicsRequest del;
  del.topic_names = {"adm", "never-was"};
  auto deleted = c.call<DeleteTopicsResponse>(ApiKey::kDeleteTopics, 3, del);
  EXPECT_EQ(deleted.responses[0].error_code, 0);
  EXPECT_EQ(deleted.responses[1].error_code, code(ErrorCode::kUnknownTopicOrPartition));
}

TEST_F(BrokerTest, SaslHandshakeIsAnsweredUnsupported) {
  start();
  RawClient c(port());
  SaslHandshakeRequest req{"PLAIN"};
  auto resp = c.call<SaslHandshakeResponse>(ApiKey::kSaslHandshake, 1, req);
  EXPECT_EQ(resp.error_code, code(ErrorCode::kUnsupportedSaslMechanism));
}

TEST_F(BrokerTest, DescribeLogDirsTellsEachPartitionsSizeOnDisk) {
  start();
  RawClient c(port());
  create_topic(c, "sized", 2);
  create_topic(c, "other", 1);
  ASSERT_EQ(produce(c, "sized", 1, batch_of({"one", "two", "three"})).error_code, 0);
  // The size of the partition's segment files (.log), as on disk.
  int64_t on_disk = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir_.path() / "data" / "sized-1"))
    if (f.path().extension() == ".log") on_disk += int64_t(f.file_size());
  ASSERT_GT(on_disk, 0);

  for (int16_t v = 0; v <= 1; ++v) {
    DescribeLogDirsRequest all;  // topics null: every partition
    auto resp = c.call<DescribeLogDirsResponse>(ApiKey::kDescribeLogDirs, v, all);
    ASSERT_EQ(resp.results.size(), 1u);
    const auto& dir = resp.results[0];
    EXPECT_EQ(dir.error_code, 0);
    EXPECT_EQ(std::filesystem::path(dir.log_dir), std::filesystem::absolute(dir_.path() / "data"));
    std::map<std::pair<std::string, int32_t>, int64_t> sizes;
    for (const auto& t : dir.topics)
      for (const auto& p : t.partitions) sizes[{t.name, p.partition_index}] = p.partition_size;
    EXPECT_EQ(sizes[std::make_pair(std::string("sized"), 0)], 0);
    EXPECT_EQ(sizes[std::make_pair(std::string("sized"), 1)], on_disk);
    EXPECT_TRUE(sizes.count({"other", 0}));
  }

  // Asked for some: only those, and nothing for topics or partitions the broker lacks.
  DescribeLogDirsRequest some;
  some.topics = std::vector<DescribeLogDirsRequest::Topic>{{"sized", {1, 7}}, {"missing", {0}}};
  auto resp = c.call<DescribeLogDirsResponse>(ApiKey::kDescribeLogDirs, 1, some);
  ASSERT_EQ(resp.results.at(0).topics.size(), 1u);
  const auto& t = resp.results[0].topics[0];
  EXPECT_EQ(t.name, "sized");
  ASSERT_EQ(t.partitions.size(), 1u);
  EXPECT_EQ(t.partitions[0].partition_index, 1);
  EXPECT_EQ(t.partitions[0].partition_size, on_disk);
}

// --- bad input: each closes only the offending connection -----------------------------

class BadInput : public BrokerTest {
 protected:
  void expect_closed_and_broker_alive(std::string_view bytes) {
    {
      RawClient bad(port());
      bad.send_raw(bytes);
      EXPECT_TRUE(bad.closed_by_peer());
    }
    RawClient good(port());
    ApiVersionsRequest req;
    EXPECT_EQ(good.call<ApiVersionsResponse>(ApiKey::kApiVersions, 0, req).error_code, 0);
  }
};

TEST_F(BadInput, NegativeLength) {
  start();
  expect_closed_and_broker_alive(std::string("\xff\xff\xff\xfe", 4));
}

TEST_F(BadInput, OversizedLength) {
  start();
  expect_closed_and_broker_alive(std::string("\x7f\xff\xff\xff", 4));
}

TEST_F(BadInput, UnknownApiKey) {
  start();
  WireWriter w;
  w.int32(0);
  write_request_header(w, {999, 0, 1, "x"}, false);
  w.patch_first_int32(int32_t(w.size() - 4));
  expect_closed_and_broker_alive(w.finish_bytes());
}

TEST_F(BadInput, UnsupportedVersion) {
  start();
  WireWriter w;
  w.int32(0);
  write_request_header(w, {int16_t(ApiKey::kProduce), 42, 1, "x"}, false);
  w.patch_first_int32(int32_t(w.size() - 4));
  expect_closed_and_broker_alive(w.finish_bytes());
}

TEST_F(BadInput, TruncatedBody) {
  start();
  // A Metadata v8 header whose body stops in the middle of the topics array.
  WireWriter w;
  w.int32(0);
  write_request_header(w, {int16_t(ApiKey::kMetadata), 8, 1, "x"}, false);
  w.int32(5);  // five topics, none present
  w.patch_first_int32(int32_t(w.size() - 4));
  expect_closed_and_broker_alive(w.finish_bytes());
}

TEST_F(BadInput, GarbageBytes) {
  start();
  std::mt19937 rng(1);
  std::string garbage(200, '\0');
  for (auto& ch : garbage) ch = char(rng());
  garbage[0] = 0;  // a plausible size, then noise
  garbage[1] = 0;
  garbage[2] = 0;
  garbage[3] = char(196);
  expect_closed_and_broker_alive(garbage);
}

TEST_F(BadInput, DisconnectMidRequestLeavesTheBrokerServing) {
  start();
  {
    RawClient quitter(port());
    quitter.send_raw(std::string("\x00\x00\x01\x00\x00\x03", 6));  // promises 256 bytes
  }
  RawClient good(port());
  ApiVersionsRequest req;
  EXPECT_EQ(good.call<ApiVersionsResponse>(ApiKey::kApiVersions, 2, req).error_code, 0);
}

TEST_F(BadInput, AConsumerThatLeavesDuringAFetchResponseDoesNotKillTheBroker) {
  start();
  RawClient c(port());
  create_topic(c, "big", 1);
  for (int i = 0; i < 8; ++i) produce(c, "big", 0, batch_of({std::string(500000, 'x')}));
  for (int round = 0; round < 5; ++round) {
    RawClient leaver(port());
    FetchRequest req;
    req.max_bytes = 64 << 20;
    FetchRequest::Partition p;
    p.partition_max_bytes = 64 << 20;
    req.topics.push_back({"big", {p}});
    leaver.send_request(ApiKey::kFetch, 11, req);
    leaver.close();  // unread data: the broker's sendfile meets a reset connection
  }
  RawClient good(port());
  ApiVersionsRequest req;
  EXPECT_EQ(good.call<ApiVersionsResponse>(ApiKey::kApiVersions, 2, req).error_code, 0);
}

}  // namespace
}  // namespace sluice::broker::testing
