// The engine's Kafka connectors against a real `sluice broker` child process: KafkaSource
// readers driven directly (create a reader per subtask, poll into a collecting output) and
// KafkaSink writers, checked with plain librdkafka clients; then a whole job
// (KafkaSource -> map -> KafkaSink) through StreamEnvironment.
//
// Usage: kafka_connectors_test [path/to/sluice] [gtest flags]   (or SLUICE_BIN in the env)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../connectors/collecting_output.h"
#include "kafka/client/admin_client.h"
#include "kafka/client/consumer.h"
#include "kafka/client/producer.h"
#include "kafka/client/topic_partition_list.h"
#include "sluice/kafka_sink.h"
#include "sluice/kafka_source.h"
#include "sluice/sluice.h"
#include "support/broker_process.h"

namespace sluice {
namespace {

namespace client = kafka::client;
using namespace std::chrono_literals;
using test::CollectingOutput;

std::string g_sluice_bin;

client::Config config_for(const std::string& bootstrap) {
  client::Config c;
  c.set("bootstrap.servers", bootstrap);
  return c;
}

// The tests' records carry timestamps of 1970 (1000 + i ms), past any time retention: like
// Kafka, the broker deletes (rolling the active segment) what is older than retention.ms, and
// its first retention pass runs on its first maintenance tick. A test that produced before
// that tick read a partition already emptied (low = high = end: a bounded read "finished"
// with none of its records). The test topics keep their records.
void create_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
  client::AdminClient admin(config_for(bootstrap), 10s);
  const auto outcome = admin.create_topics({{topic, partitions, 1, {{"retention.ms", "-1"}}}});
  ASSERT_EQ(outcome.size(), 1u);
  ASSERT_FALSE(outcome[0].error) << topic << ": " << outcome[0].error.describe();
}

struct Rec {
  int32_t partition = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;
  std::vector<client::Header> headers;
};

void produce(const std::string& bootstrap, const std::string& topic, const std::vector<Rec>& recs) {
  auto c = config_for(bootstrap);
  c.set("acks", "all");
  client::Producer p(std::move(c));
  for (const auto& r : recs) {
    client::OutgoingRecord o;
    o.topic = topic;
    o.partition = r.partition;
    if (r.key) o.key = *r.key;
    if (r.value) o.value = *r.value;
    o.timestamp_ms = r.timestamp;
    o.headers = &r.headers;
    ASSERT_FALSE(p.produce(o)) << "produce to " << topic;
  }
  ASSERT_TRUE(p.flush(20s));
  ASSERT_EQ(p.counts().failed, 0u);
}

// Every record of `topic` (all partitions) read with plain assign() from the beginning.
std::vector<KafkaRecord> consume_all(const std::string& bootstrap, const std::string& topic,
                                     size_t expected, std::chrono::seconds timeout = 20s) {
  client::Consumer consumer(config_for(bootstrap));
  const auto md = consumer.handle().metadata(topic, 10s);
  const auto* t = md.find(topic);
  std::vector<client::PartitionStart> starts;
  if (t != nullptr) {
    for (const auto& p : t->partitions) starts.push_back({topic, p.id, RD_KAFKA_OFFSET_BEGINNING});
  }
  consumer.assign(starts);
  std::vector<KafkaRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
    auto m = consumer.poll(100ms);
    if (!m || m.error()) continue;
    KafkaRecordView v;
    v.topic = rd_kafka_topic_name(m.raw()->rkt);
    v.partition = m.partition();
    v.offset = m.offset();
    v.timestamp = m.timestamp();
    v.key = m.key();
    v.value = m.value();
    v.raw = m.raw();
    out.push_back(v.to_record());
  }
  return out;
}

template <class T>
std::unique_ptr<KafkaSourceReader<T>> open_reader(const KafkaSource<T>& source, int index,
                                                  int parallelism) {
  auto reader = source.make_reader(SubtaskInfo{"kafka-source", index, parallelism, 128});
  reader->open();
  return reader;
}

class KafkaConnectors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = new bench::BrokerProcess(g_sluice_bin, {});
    broker_->start();
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }
  static std::string bootstrap() { return broker_->bootstrap(); }
  static bench::BrokerProcess* broker_;
};
bench::BrokerProcess* KafkaConnectors::broker_ = nullptr;

std::string value_of(int partition, int i) {
  return "p" + std::to_string(partition) + "-" + std::to_string(i);
}

TEST_F(KafkaConnectors, BoundedReadOfThreePartitionsWithParallelismTwo) {
  const std::string topic = "bounded-3";
  create_topic(bootstrap(), topic, 3);
  std::vector<Rec> recs;
  for (int i = 0; i < 200; ++i) {
    for (int p = 0; p < 3; ++p)
      recs.push_back({p, "k" + std::to_string(i), value_of(p, i), 1000 + i, {}});
  }
  produce(bootstrap(), topic, recs);

  const auto source = KafkaSource<KafkaRecord>::builder()
                          .bootstrap_servers(bootstrap())
                          .topic(topic)
                          .group_id("bounded-group")
                          .starting_offsets(StartingOffsets::earliest())
                          .bounded()
                          .max_records_per_poll(37)
                          .build();
  auto r0 = open_reader(source, 0, 2);
  auto r1 = open_reader(source, 1, 2);
  // Sorted partitions 0,1,2: index % 2 -> subtask 0 reads 0 and 2, subtask 1 reads 1.
  ASSERT_EQ(r0->partitions().size(), 2u);
  EXPECT_EQ(r0->partitions()[0].tp.partition, 0);
  EXPECT_EQ(r0->partitions()[1].tp.partition, 2);
  EXPECT_EQ(r0->partitions()[1].split, 2);
  ASSERT_EQ(r1->partitions().size(), 1u);
  EXPECT_EQ(r1->partitions()[0].tp.partition, 1);

  // Written after the readers opened: beyond the bounded end, never read.
  produce(bootstrap(), topic,
          {{0, std::nullopt, "late", 5000, {}}, {1, std::nullopt, "late", 5000, {}}});

  CollectingOutput<KafkaRecord> o0, o1;
  bool end0 = false, end1 = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!(end0 && end1) && std::chrono::steady_clock::now() < deadline) {
    if (!end0) end0 = r0->poll(o0) == SourceStatus::end_of_input;
    if (!end1) end1 = r1->poll(o1) == SourceStatus::end_of_input;
  }
  ASSERT_TRUE(end0 && end1);
  EXPECT_EQ(o0.registered, (std::set<int>{0, 2}));
  EXPECT_EQ(o0.finished, (std::set<int>{0, 2}));
  EXPECT_EQ(o1.registered, (std::set<int>{1}));
  EXPECT_EQ(o1.finished, (std::set<int>{1}));

  std::map<int, std::vector<std::string>> per_partition;
  for (auto* out : {&o0, &o1}) {
    for (const auto& e : out->records) {
      EXPECT_EQ(e.split, e.value.partition);  // split = index in the sorted list = partition here
      EXPECT_EQ(e.timestamp, e.value.timestamp);
      per_partition[e.value.partition].push_back(*e.value.value);
      EXPECT_EQ(e.value.offset + 1000, e.value.timestamp);
    }
  }
  for (int p = 0; p < 3; ++p) {
    std::vector<std::string> expected;
    for (int i = 0; i < 200; ++i) expected.push_back(value_of(p, i));
    EXPECT_EQ(per_partition[p], expected) << "partition " << p;
  }
  EXPECT_EQ(r0->metrics().emitted, 400u);
  EXPECT_EQ(r1->metrics().emitted, 200u);
  // Offsets of what was emitted, for checkpoints.
  const auto offs = r0->current_offsets();
  ASSERT_EQ(offs.size(), 2u);
  EXPECT_EQ(offs[0], (PartitionOffset{topic, 0, 200}));
  EXPECT_EQ(offs[1], (PartitionOffset{topic, 2, 200}));
  r0->close();
  r1->close();
}

std::vector<std::string> read_bounded(const KafkaSource<std::string>& source) {
  auto r = open_reader(source, 0, 1);
  CollectingOutput<std::string> out;
  EXPECT_TRUE(test::poll_to_end(*r, out));
  r->close();
  return out.values();
}

std::vector<std::string> range(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back("v" + std::to_string(i));
  return v;
}

// The low-latency path of KafkaSource: after a poll that handed records on, the next poll
// does not wait for more (it says nothing_available at once, so the task flushes what it
// holds). With poll_wait 30 s and no end-of-partition events, a poll that waited would take
// 30 s: the test asserts each poll after the records returns in well under that (no tight
// threshold; ctest's timeout bounds the whole run).
TEST_F(KafkaConnectors, PollAfterRecordsDoesNotWaitForMore) {
  const std::string topic = "poll-wait";
  create_topic(bootstrap(), topic, 1);
  std::vector<Rec> recs;
  for (int i = 0; i < 5; ++i) recs.push_back({0, std::nullopt, "v" + std::to_string(i), 1, {}});
  produce(bootstrap(), topic, recs);
  const auto poll_wait = Duration(30000);
  auto source = KafkaSource<std::string>::builder()
                    .bootstrap_servers(bootstrap())
                    .topic(topic)
                    .starting_offsets(StartingOffsets::earliest())
                    .poll_wait(poll_wait)
                    // No end-of-partition events: they would wake a waiting poll too.
                    .property("enable.partition.eof", "false")
                    .build();
  auto r = open_reader(source, 0, 1);
  CollectingOutput<std::string> out;
  // The records are in the broker: the first poll returns as soon as they are fetched.
  while (out.records.size() < 5) {
    const auto status = r->poll(out);
    ASSERT_NE(status, SourceStatus::end_of_input);
  }
  for (int round = 0; round < 2; ++round) {
    // Nothing more is in the topic: the poll after records returns at once.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(r->poll(out), SourceStatus::nothing_available);
    EXPECT_LT(std::chrono::steady_clock::now() - started, poll_wait / 2)
        << "round " << round << ": the poll after records waited for the next fetch";
    // One more record: a poll that found nothing waits for it (up to poll_wait) and hands it on.
    produce(bootstrap(), topic, {{0, std::nullopt, "more" + std::to_string(round), 1, {}}});
    while (out.records.size() < 6u + static_cast<size_t>(round)) {
      ASSERT_NE(r->poll(out), SourceStatus::end_of_input);
    }
  }
  std::vector<std::string> expected = {"v0", "v1", "v2", "v3", "v4", "more0", "more1"};
  EXPECT_EQ(out.values(), expected);
  r->close();
}

// The bounded end with the poll that does not wait after records: several readers polled
// in turn, a long poll_wait, partitions with records beyond the end (written before and after
// open), an empty one (finished at open) and a one-record one. Each reader ends only when all
// its partitions reached their stopping offsets, with every record below them exactly once
// and in order.
TEST_F(KafkaConnectors, BoundedReadOfReadersPolledInTurnEndsAtEveryStoppingOffset) {
  const std::string topic = "bounded-4";
  create_topic(bootstrap(), topic, 4);
  std::vector<Rec> recs;
  for (int i = 0; i < 300; ++i) {
    recs.push_back({0, std::nullopt, value_of(0, i), 1000 + i, {}});
    recs.push_back({1, std::nullopt, value_of(1, i), 1000 + i, {}});
  }
  recs.push_back({3, std::nullopt, value_of(3, 0), 1000, {}});
  produce(bootstrap(), topic, recs);

  for (int parallelism : {1, 2, 3}) {
    const auto source = KafkaSource<KafkaRecord>::builder()
                            .bootstrap_servers(bootstrap())
                            .topic(topic)
                            .starting_offsets(StartingOffsets::earliest())
                            .bounded()
                            .max_records_per_poll(37)
                            .poll_wait(Duration(30000))
                            .build();
    std::vector<std::unique_ptr<KafkaSourceReader<KafkaRecord>>> readers;
    for (int i = 0; i < parallelism; ++i) readers.push_back(open_reader(source, i, parallelism));
    // Beyond the bounded end of this round: never read by it.
    produce(bootstrap(), topic,
            {{0, std::nullopt, "late", 5000, {}}, {1, std::nullopt, "late", 5000, {}},
             {3, std::nullopt, "late", 5000, {}}});

    std::vector<CollectingOutput<KafkaRecord>> outs(readers.size());
    std::vector<bool> ended(readers.size(), false);
    size_t running = readers.size();
    const auto started = std::chrono::steady_clock::now();
    while (running > 0 && std::chrono::steady_clock::now() - started < 60s) {
      for (size_t i = 0; i < readers.size(); ++i) {
        if (ended[i]) continue;
        const auto status = readers[i]->poll(outs[i]);
        if (status == SourceStatus::end_of_input) {
          ended[i] = true;
          --running;
          // Ends only when every partition of the reader is finished.
          EXPECT_EQ(outs[i].finished, outs[i].registered) << "reader " << i;
        }
      }
    }
    ASSERT_EQ(running, 0u) << "parallelism " << parallelism;
    // No poll of the readers waited out the 30 s poll_wait.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s) << "parallelism " << parallelism;

    std::map<int, std::vector<std::string>> per_partition;
    uint64_t emitted = 0;
    for (size_t i = 0; i < readers.size(); ++i) {
      for (const auto& e : outs[i].records) per_partition[e.value.partition].push_back(*e.value.value);
      emitted += readers[i]->metrics().emitted;
    }
    // The stopping offsets of this round: what was produced before it opened.
    const int before = parallelism - 1;  // the late records of earlier rounds are below the end
    for (int p : {0, 1}) {
      std::vector<std::string> expected;
      for (int i = 0; i < 300; ++i) expected.push_back(value_of(p, i));
      for (int k = 0; k < before; ++k) expected.push_back("late");
      EXPECT_EQ(per_partition[p], expected) << "partition " << p << ", parallelism " << parallelism;
    }
    EXPECT_TRUE(per_partition[2].empty());
    std::vector<std::string> expected3 = {value_of(3, 0)};
    for (int k = 0; k < before; ++k) expected3.push_back("late");
    EXPECT_EQ(per_partition[3], expected3) << "parallelism " << parallelism;
    EXPECT_EQ(emitted, 601u + 3u * static_cast<uint64_t>(before));
    for (auto& r : readers) r->close();
  }
}

TEST_F(KafkaConnectors, StartingOffsets) {
  const std::string topic = "starting";
  create_topic(bootstrap(), topic, 1);
  std::vector<Rec> recs;
  for (int i = 0; i < 10; ++i)
    recs.push_back({0, std::nullopt, "v" + std::to_string(i), 1000 + i * 10, {}});
  produce(bootstrap(), topic, recs);
  auto builder = [&] {
    auto b = KafkaSource<std::string>::builder();
    b.bootstrap_servers(bootstrap()).topic(topic).bounded();
    return b;
  };

  EXPECT_EQ(read_bounded(builder().starting_offsets(StartingOffsets::earliest()).build()),
            range(0, 10));
  EXPECT_TRUE(read_bounded(builder().starting_offsets(StartingOffsets::latest()).build()).empty());
  EXPECT_EQ(read_bounded(builder().starting_offsets(StartingOffsets::timestamp(1050)).build()),
            range(5, 10));
  EXPECT_EQ(read_bounded(builder().starting_offsets(StartingOffsets::timestamp(1045)).build()),
            range(5, 10));
  EXPECT_TRUE(
      read_bounded(builder().starting_offsets(StartingOffsets::timestamp(99999)).build()).empty());
  EXPECT_EQ(
      read_bounded(builder().starting_offsets(StartingOffsets::specific({{topic, 0, 7}})).build()),
      range(7, 10));
  auto restored = builder().starting_offsets(StartingOffsets::earliest()).build();
  restored.restore_offsets({{topic, 0, 8}});
  EXPECT_EQ(read_bounded(restored), range(8, 10));

  // committed: a group without offsets falls back to earliest; reading commits on close;
  // the next run resumes after what was emitted.
  auto committed =
      builder().group_id("resume-group").starting_offsets(StartingOffsets::committed()).build();
  EXPECT_EQ(read_bounded(committed), range(0, 10));
  produce(bootstrap(), topic,
          {{0, std::nullopt, "v10", 2000, {}}, {0, std::nullopt, "v11", 2010, {}}});
  EXPECT_EQ(read_bounded(committed), range(10, 12));
  EXPECT_TRUE(read_bounded(committed).empty());
  // The fallback may be latest.
  EXPECT_TRUE(
      read_bounded(builder()
                       .group_id("fresh-group")
                       .starting_offsets(StartingOffsets::committed(StartingOffsets::Kind::latest))
                       .build())
          .empty());

  // Unbounded from latest: only what is written after the reader opened.
  auto live = KafkaSource<std::string>::builder()
                  .bootstrap_servers(bootstrap())
                  .topic(topic)
                  .starting_offsets(StartingOffsets::latest())
                  .build();
  EXPECT_FALSE(live.bounded());
  auto r = open_reader(live, 0, 1);
  produce(bootstrap(), topic, {{0, std::nullopt, "new", 3000, {}}});
  CollectingOutput<std::string> out;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (out.records.empty() && std::chrono::steady_clock::now() < deadline) {
    EXPECT_NE(r->poll(out), SourceStatus::end_of_input);
  }
  EXPECT_EQ(out.values(), std::vector<std::string>{"new"});
  EXPECT_EQ(out.records[0].timestamp, 3000);
  r->close();
}

// The group's committed offset of partition 0 of `topic`, as any monitoring tool reads it.
int64_t committed_offset(const std::string& bootstrap, const std::string& group,
                         const std::string& topic) {
  auto c = config_for(bootstrap);
  c.set("group.id", group);
  client::Consumer consumer(std::move(c));
  auto list = client::make_topic_partition_list(1);
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), 0);
  if (rd_kafka_committed(consumer.handle().get(), list.get(), 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return -2;
  return list->elems[0].offset;
}

TEST_F(KafkaConnectors, UnboundedSourceCommitsWhatItEmittedPeriodically) {
  const std::string topic = "monitored";
  create_topic(bootstrap(), topic, 1);
  std::vector<Rec> recs;
  for (int i = 0; i < 50; ++i) recs.push_back({0, std::nullopt, "v" + std::to_string(i), 1, {}});
  produce(bootstrap(), topic, recs);
  auto source = KafkaSource<std::string>::builder()
                    .bootstrap_servers(bootstrap())
                    .topic(topic)
                    .group_id("monitor-group")
                    .commit_interval(Duration(100))
                    .build();
  auto r = open_reader(source, 0, 1);
  CollectingOutput<std::string> out;
  int64_t committed = -1;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (committed != 50 && std::chrono::steady_clock::now() < deadline) {
    r->poll(out);  // keeps committing every 100 ms while it polls
    if (out.records.size() == 50) committed = committed_offset(bootstrap(), "monitor-group", topic);
  }
  EXPECT_EQ(out.records.size(), 50u);
  EXPECT_EQ(committed, 50);  // last emitted + 1, without closing the reader
  EXPECT_GE(r->metrics().commits, 1u);
  r->close();
}

TEST_F(KafkaConnectors, BadRecordsGoToTheDeadLetterTopicWithHeaders) {
  const std::string topic = "numbers-in";
  const std::string dlq = "numbers-in-dlq";
  create_topic(bootstrap(), topic, 1);
  create_topic(bootstrap(), dlq, 1);
  produce(bootstrap(), topic,
          {{0, "a", "1", 100, {}},
           {0, "b", "x", 101, {{"trace", "t-1"}}},
           {0, "c", "3", 102, {}},
           {0, "d", std::nullopt, 103, {}},
           {0, "e", "skip-me", 104, {}}});
  auto parse = [](const KafkaRecordView& r) -> Deserialized<int> {
    if (!r.value) return Deserialized<int>::bad("null value");
    if (*r.value == "skip-me") return Deserialized<int>::skip();
    size_t used = 0;
    const int n = std::stoi(std::string(*r.value), &used);  // throws std::invalid_argument for "x"
    return Deserialized<int>::ok(n);
  };
  auto source = KafkaSource<int>::builder()
                    .bootstrap_servers(bootstrap())
                    .topic(topic)
                    .starting_offsets(StartingOffsets::earliest())
                    .bounded()
                    .deserializer(parse)
                    .dead_letter_topic(dlq)
                    .build();
  auto r = open_reader(source, 0, 1);
  CollectingOutput<int> out;
  ASSERT_TRUE(test::poll_to_end(*r, out));
  EXPECT_EQ(out.values(), (std::vector<int>{1, 3}));
  EXPECT_EQ(r->metrics().dead_lettered, 2u);
  EXPECT_EQ(r->metrics().skipped, 1u);
  EXPECT_EQ(r->current_offsets()[0].offset, 5);
  r->close();

  const auto dead = consume_all(bootstrap(), dlq, 2);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(*dead[0].key, "b");
  EXPECT_EQ(*dead[0].value, "x");
  EXPECT_EQ(dead[0].timestamp, 101);
  EXPECT_EQ(*dead[0].header("trace"), "t-1");
  EXPECT_EQ(*dead[0].header("source.topic"), topic);
  EXPECT_EQ(*dead[0].header("source.partition"), "0");
  EXPECT_EQ(*dead[0].header("source.offset"), "1");
  EXPECT_NE(dead[0].header("error")->find("stoi"), std::string::npos) << *dead[0].header("error");
  EXPECT_EQ(*dead[1].key, "d");
  EXPECT_FALSE(dead[1].value.has_value());
  EXPECT_EQ(*dead[1].header("error"), "null value");
  EXPECT_EQ(*dead[1].header("source.offset"), "3");

  // Without a dead-letter topic they are dropped and counted; the job goes on.
  auto dropping = KafkaSource<int>::builder()
                      .bootstrap_servers(bootstrap())
                      .topic(topic)
                      .starting_offsets(StartingOffsets::earliest())
                      .bounded()
                      .deserializer(parse)
                      .build();
  auto d = open_reader(dropping, 0, 1);
  CollectingOutput<int> out2;
  ASSERT_TRUE(test::poll_to_end(*d, out2));
  EXPECT_EQ(out2.values(), (std::vector<int>{1, 3}));
  EXPECT_EQ(d->metrics().dropped, 2u);
  d->close();
}

TEST_F(KafkaConnectors, TopicPatternAndMissingTopics) {
  create_topic(bootstrap(), "pat-a", 2);
  create_topic(bootstrap(), "pat-b", 1);
  create_topic(bootstrap(), "other-pat-a", 1);
  produce(bootstrap(), "pat-a", {{0, std::nullopt, "a0", 1, {}}, {1, std::nullopt, "a1", 1, {}}});
  produce(bootstrap(), "pat-b", {{0, std::nullopt, "b0", 1, {}}});
  produce(bootstrap(), "other-pat-a", {{0, std::nullopt, "no", 1, {}}});
  auto source = KafkaSource<std::string>::builder()
                    .bootstrap_servers(bootstrap())
                    .topic_pattern("pat-.*")
                    .starting_offsets(StartingOffsets::earliest())
                    .bounded()
                    .build();
  auto got = read_bounded(source);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"a0", "a1", "b0"}));

  auto missing = KafkaSource<std::string>::builder()
                     .bootstrap_servers(bootstrap())
                     .topic("no-such-topic")
                     .metadata_timeout(Duration(500))
                     .build();
  try {
    open_reader(missing, 0, 1);
    FAIL() << "opened a missing topic";
  } catch (const KafkaConnectorError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-topic"), std::string::npos) << e.what();
  }
  EXPECT_EQ(missing.settings().starting_offsets.kind(),
            StartingOffsets::Kind::earliest);  // no group id
  EXPECT_EQ(KafkaSource<std::string>::builder()
                .topic("t")
                .group_id("g")
                .build()
                .settings()
                .starting_offsets.kind(),
            StartingOffsets::Kind::committed);
  EXPECT_THROW(KafkaSource<std::string>::builder()
                   .topic("t")
                   .starting_offsets(StartingOffsets::committed())
                   .build(),
               std::invalid_argument);
  EXPECT_THROW(KafkaSource<std::string>::builder().build(), std::invalid_argument);
}

TEST_F(KafkaConnectors, DiscoveryPicksUpNewTopicsAndPartitionsExactlyOnce) {
  create_topic(bootstrap(), "disc-a", 1);
  produce(bootstrap(), "disc-a", {{0, std::nullopt, "a0", 1, {}}});
  auto source = KafkaSource<KafkaRecord>::builder()
                    .bootstrap_servers(bootstrap())
                    .topic_pattern("disc-.*")
                    .starting_offsets(StartingOffsets::earliest())
                    .partition_discovery_interval(Duration(100))
                    .build();
  auto r0 = open_reader(source, 0, 2);
  auto r1 = open_reader(source, 1, 2);
  CollectingOutput<KafkaRecord> o0, o1;
  o0.allow_late_registration = o1.allow_late_registration = true;
  auto poll_until = [&](size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (o0.records.size() + o1.records.size() < n &&
           std::chrono::steady_clock::now() < deadline) {
      r0->poll(o0);
      r1->poll(o1);
    }
  };
  poll_until(1);
  // A new topic with 4 partitions, written before the readers notice it: read from its start.
  create_topic(bootstrap(), "disc-b", 4);
  std::vector<Rec> recs;
  for (int i = 0; i < 40; ++i)
    recs.push_back({i % 4, std::nullopt, "b" + std::to_string(i), 1, {}});
  produce(bootstrap(), "disc-b", recs);
  poll_until(41);
  for (int i = 0; i < 20; ++i) {  // nothing more arrives, nothing is read twice
    r0->poll(o0);
    r1->poll(o1);
  }
  std::multiset<std::string> values;
  std::map<int32_t, int> owner;  // disc-b partition -> subtask
  for (int k = 0; k < 2; ++k) {
    for (const auto& e : (k == 0 ? o0 : o1).records) {
      values.insert(*e.value.value);
      if (e.value.topic == "disc-b") {
        EXPECT_EQ(new_partition_owner({"disc-b", e.value.partition}, 2), k);
        EXPECT_GE(e.split, 1);  // after the initial split 0 (disc-a-0)
        owner[e.value.partition] = k;
      }
    }
  }
  EXPECT_EQ(values.size(), 41u);
  EXPECT_EQ(std::set<std::string>(values.begin(), values.end()).size(), 41u);
  EXPECT_EQ(owner.size(), 4u);
  EXPECT_EQ(o0.registered.size() + o1.registered.size(), 5u);  // disc-a-0 + 4 new
  r0->close();
  r1->close();
}

struct Event {
  std::string user;
  int n;
  bool special;
};

TEST_F(KafkaConnectors, SinkWritesKeysHeadersAndTopicsPerRecordAndFlushWaitsForAcks) {
  create_topic(bootstrap(), "sink-main", 2);
  create_topic(bootstrap(), "sink-special", 1);
  auto sink = KafkaSink<Event>::builder()
                  .bootstrap_servers(bootstrap())
                  .topic("sink-main")
                  .record_serializer([](const Event& e, const SinkContext&, ProducerRecord& out) {
                    if (e.special) out.topic = "sink-special";
                    out.set_key(e.user);
                    out.set_value(std::to_string(e.n));
                    out.add_header("n", std::to_string(e.n));
                    out.add_header("null-header", std::nullopt);
                    if (e.n % 2 == 0 && !e.special) out.partition = 1;
                  })
                  .build();
  auto w = sink.make_writer(SubtaskInfo{"kafka-sink", 0, 1, 128});
  w->open();
  for (int i = 0; i < 100; ++i) {
    w->write(Event{"u" + std::to_string(i % 3), i, i % 10 == 0},
             SinkContext{5000 + i, kMinTimestamp});
  }
  w->flush();
  EXPECT_EQ(w->metrics().delivered, 100u);  // flush returned: every record acknowledged
  w->close();

  const auto main = consume_all(bootstrap(), "sink-main", 90);
  const auto special = consume_all(bootstrap(), "sink-special", 10);
  ASSERT_EQ(main.size(), 90u);
  ASSERT_EQ(special.size(), 10u);
  for (const auto& r : main) {
    const int n = std::stoi(*r.value);
    EXPECT_NE(n % 10, 0);
    EXPECT_EQ(*r.key, "u" + std::to_string(n % 3));
    EXPECT_EQ(*r.header("n"), *r.value);
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_FALSE(r.headers[1].value.has_value());
    EXPECT_EQ(r.timestamp, 5000 + n);  // the record's event time
    if (n % 2 == 0) EXPECT_EQ(r.partition, 1);
  }
  for (const auto& r : special) EXPECT_EQ(std::stoi(*r.value) % 10, 0);
}

TEST_F(KafkaConnectors, SinkFailsLoudlyWhenARecordCannotBeWritten) {
  auto sink =
      KafkaSink<std::string>::builder().bootstrap_servers(bootstrap()).topic("too-big").build();
  auto w = sink.make_writer(SubtaskInfo{"kafka-sink", 0, 1, 128});
  w->open();
  // Larger than librdkafka's message.max.bytes: refused at once.
  EXPECT_THROW(w->write(std::string(2 * 1024 * 1024, 'x'), SinkContext{}), KafkaConnectorError);
  w->close();
  EXPECT_THROW(KafkaSink<Event>::builder().build(), std::invalid_argument);
  EXPECT_THROW(
      KafkaSink<std::string>::builder().delivery_guarantee(DeliveryGuarantee::exactly_once).build(),
      std::invalid_argument);
}

TEST(KafkaSinkDelivery, FlushThrowsWithTheBrokersError) {
  // A broker whose largest batch is 2000 bytes rejects a 10 kB record after it was sent.
  bench::BrokerProcess broker(g_sluice_bin, {"--max-message-bytes", "2000"});
  broker.start();
  create_topic(broker.bootstrap(), "small", 1);
  auto sink = KafkaSink<std::string>::builder()
                  .bootstrap_servers(broker.bootstrap())
                  .topic("small")
                  .build();
  auto w = sink.make_writer(SubtaskInfo{"kafka-sink", 0, 1, 128});
  w->open();
  w->write("fits", SinkContext{});
  w->write(std::string(10000, 'x'), SinkContext{});
  try {
    w->flush();
    FAIL() << "flush passed over a failed delivery";
  } catch (const KafkaConnectorError& e) {
    EXPECT_NE(std::string(e.what()).find("MSG_SIZE_TOO_LARGE"), std::string::npos) << e.what();
  }
  w->close();
  // At a checkpoint barrier the same failure fails the checkpoint (and the job): it never
  // completes past a lost record.
  auto w2 = sink.make_writer(SubtaskInfo{"kafka-sink", 0, 1, 128});
  w2->open();
  w2->write(std::string(10000, 'y'), SinkContext{});
  EXPECT_THROW(w2->prepare_checkpoint(1), KafkaConnectorError);
  w2->close();
}

// The group's committed next-offsets of `partitions` of `topic` (-1: none).
std::map<int, int64_t> group_offsets(const std::string& bootstrap, const std::string& group,
                                     const std::string& topic, int partitions) {
  auto c = config_for(bootstrap);
  c.set("group.id", group);
  client::Handle consumer(std::move(c), client::Handle::Role::consumer);
  auto list = client::make_topic_partition_list(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  EXPECT_EQ(rd_kafka_committed(consumer.get(), list.get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::map<int, int64_t> out;
  for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].err ? -1 : list->elems[i].offset;
  rd_kafka_consumer_close(consumer.get());
  return out;
}

TEST_F(KafkaConnectors, CheckpointedOffsetsRestoreAtAnotherParallelismAndCommitOnCompletion) {
  const std::string topic = "ckpt-4";
  create_topic(bootstrap(), topic, 4);
  std::vector<Rec> recs;
  for (int i = 0; i < 100; ++i)
    for (int p = 0; p < 4; ++p) recs.push_back({p, std::nullopt, value_of(p, i), 1000 + i, {}});
  produce(bootstrap(), topic, recs);

  auto builder = KafkaSource<std::string>::builder()
                     .bootstrap_servers(bootstrap())
                     .topic(topic)
                     .group_id("ckpt-group")
                     .starting_offsets(StartingOffsets::committed())
                     .commit_interval(Duration(1))  // would commit at once, were it not checkpointing
                     .max_records_per_poll(30);
  const auto first = builder.build();
  // Run 1, parallelism 1: reads part of the input, snapshots, reads on, then "crashes".
  auto r = open_reader(first, 0, 1);
  CollectingOutput<std::string> before;
  while (before.records.size() < 150) r->poll(before);
  const std::string blob = r->snapshot_state(7);
  r->notify_checkpoint_complete(7);  // commits checkpoint 7's offsets to the group
  CollectingOutput<std::string> lost;  // read after the checkpoint: not covered by it
  for (int i = 0; i < 3; ++i) r->poll(lost);
  ASSERT_FALSE(lost.records.empty());
  std::map<int, int64_t> at_checkpoint;
  for (const auto& o : r->current_offsets()) at_checkpoint[o.partition] = 0;
  for (const auto& e : before.records) at_checkpoint[e.split] = std::max<int64_t>(at_checkpoint[e.split], 1 + std::stoi(e.value.substr(3)));
  r->close();  // a checkpointing reader does not commit past its checkpoint on close
  std::map<int, int64_t> committed;
  for (int attempt = 0; attempt < 50 && committed != at_checkpoint; ++attempt) {
    committed = group_offsets(bootstrap(), "ckpt-group", topic, 4);
    for (auto& [p, o] : committed) if (o < 0) o = 0;
    if (committed != at_checkpoint) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(committed, at_checkpoint);

  // Run 2, parallelism 2, bounded, configured to start at the end: both subtasks get the one
  // blob and start their partitions where it says.
  const auto second = builder.starting_offsets(StartingOffsets::latest()).bounded().build();
  std::vector<std::unique_ptr<KafkaSourceReader<std::string>>> readers;
  std::vector<CollectingOutput<std::string>> outs(2);
  for (int i = 0; i < 2; ++i) {
    readers.push_back(second.make_reader(SubtaskInfo{"kafka-source", i, 2, 128}));
    readers.back()->restore_state({std::string_view(blob)});
    readers.back()->open();
    ASSERT_TRUE(test::poll_to_end<std::string>(*readers.back(), outs[i]));
  }
  std::multiset<std::string> seen;
  for (const auto& e : before.records) seen.insert(e.value);
  for (auto& o : outs)
    for (const auto& e : o.records) seen.insert(e.value);
  std::multiset<std::string> expected;
  for (const auto& rec : recs) expected.insert(*rec.value);
  EXPECT_EQ(seen, expected);  // nothing lost, nothing twice
  for (auto& rd : readers) rd->close();

  // A blob from a newer format version is refused, not misread.
  auto bad = second.make_reader(SubtaskInfo{"kafka-source", 0, 1, 128});
  std::string newer = blob;
  newer[0] = 9;
  EXPECT_THROW(bad->restore_state({std::string_view(newer)}), CorruptStateError);
}

// The records of `topic` a read_committed consumer sees within `wait`.
std::multiset<std::string> committed_values(const std::string& bootstrap, const std::string& topic,
                                            std::chrono::seconds wait = 3s) {
  std::multiset<std::string> out;
  for (const auto& r : consume_all(bootstrap, topic, 1u << 30, wait)) out.insert(*r.value);
  return out;
}

std::multiset<std::string> numbered(const std::string& prefix, int from, int to) {
  std::multiset<std::string> out;
  for (int i = from; i < to; ++i) out.insert(prefix + std::to_string(i));
  return out;
}

TEST_F(KafkaConnectors, ExactlyOnceSinkCommitsWithCheckpointsAndAbortsTheRest) {
  const std::string topic = "eos-out";
  create_topic(bootstrap(), topic, 2);
  auto build = [&] {
    return KafkaSink<std::string>::builder()
        .bootstrap_servers(bootstrap())
        .topic(topic)
        .delivery_guarantee(DeliveryGuarantee::exactly_once)
        .transactional_id_prefix("eos-test")
        .flush_timeout(Duration(20000))
        .build();
  };
  auto sink = build();
  auto committer = sink.checkpoint_committer();
  ASSERT_TRUE(committer);
  auto copy = sink;  // copies share the one transactional producer
  EXPECT_EQ(copy.checkpoint_committer(), committer);
  EXPECT_FALSE(committer->last_committed().has_value());
  committer->open(0);
  auto w0 = sink.make_writer(SubtaskInfo{"eos", 0, 2, 128});
  auto w1 = copy.make_writer(SubtaskInfo{"eos", 1, 2, 128});
  w0->open();
  w1->open();
  for (int i = 0; i < 10; ++i) {
    w0->write("a" + std::to_string(i), SinkContext{});
    w1->write("b" + std::to_string(i), SinkContext{});
  }
  w0->prepare_checkpoint(1);
  w1->prepare_checkpoint(1);
  EXPECT_TRUE(committed_values(bootstrap(), topic, 1s).empty());  // pre-committed only

  // After its barrier a writer blocks until the checkpoint is committed.
  std::atomic<bool> written{false};
  std::thread late([&] {
    w0->write("a10", SinkContext{});
    written = true;
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(written.load()) << "a record after barrier 1 got into transaction 1";
  committer->commit(1);
  late.join();
  EXPECT_TRUE(written.load());
  auto expected = numbered("a", 0, 10);
  for (const auto& v : numbered("b", 0, 10)) expected.insert(v);
  EXPECT_EQ(committed_values(bootstrap(), topic), expected);

  // Checkpoint 2 is abandoned: its records wait in the open transaction; the job then fails.
  for (int i = 11; i < 15; ++i) w0->write("a" + std::to_string(i), SinkContext{});
  w0->prepare_checkpoint(2);
  w1->prepare_checkpoint(2);
  committer->abort(2);
  w1->write("b10", SinkContext{});  // does not block: checkpoint 2 is resolved
  w0->close();
  w1->close();
  committer->close(false);
  EXPECT_EQ(committed_values(bootstrap(), topic), expected);  // aborted: a10..a14, b10 never visible

  // The next run reads the marker, fences the old producer and goes on.
  auto again = build();
  auto c2 = again.checkpoint_committer();
  EXPECT_EQ(c2->last_committed(), std::optional<CheckpointId>(1));
  c2->open(1);
  auto w = again.make_writer(SubtaskInfo{"eos", 0, 1, 128});
  w->open();
  w->write("c0", SinkContext{});
  w->prepare_checkpoint(3);
  c2->commit(3);
  w->write("c1", SinkContext{});  // after the last checkpoint: committed when the job finishes
  w->flush();
  w->close();
  c2->close(true);
  expected.insert("c0");
  expected.insert("c1");
  EXPECT_EQ(committed_values(bootstrap(), topic), expected);
  auto third = build();
  EXPECT_EQ(third.checkpoint_committer()->last_committed(), std::optional<CheckpointId>(3));
  third.checkpoint_committer()->close(false);
}

TEST_F(KafkaConnectors, ExactlyOnceSinkOfACrashedRunIsFencedByTheNextRun) {
  const std::string topic = "eos-fenced";
  create_topic(bootstrap(), topic, 1);
  auto build = [&] {
    return KafkaSink<std::string>::builder()
        .bootstrap_servers(bootstrap())
        .topic(topic)
        .delivery_guarantee(DeliveryGuarantee::exactly_once)
        .transactional_id_prefix("eos-fence")
        .flush_timeout(Duration(10000))
        .build();
  };
  auto zombie = build();
  zombie.checkpoint_committer()->open(0);
  auto wz = zombie.make_writer(SubtaskInfo{"eos", 0, 1, 128});
  wz->open();
  wz->write("zombie", SinkContext{});
  wz->prepare_checkpoint(1);  // delivered into the open transaction, never committed

  auto next = build();
  EXPECT_FALSE(next.checkpoint_committer()->last_committed().has_value());  // fences the zombie
  next.checkpoint_committer()->open(0);
  EXPECT_THROW(zombie.checkpoint_committer()->commit(1), KafkaConnectorError);
  auto w = next.make_writer(SubtaskInfo{"eos", 0, 1, 128});
  w->open();
  w->write("fresh", SinkContext{});
  w->prepare_checkpoint(1);
  next.checkpoint_committer()->commit(1);
  EXPECT_EQ(committed_values(bootstrap(), topic), (std::multiset<std::string>{"fresh"}));
  wz->close();
  w->close();
  zombie.checkpoint_committer()->close(false);
  next.checkpoint_committer()->close(true);
  // And the builder refuses exactly-once without what it needs.
  EXPECT_THROW(KafkaSink<std::string>::builder()
                   .topic("x")
                   .delivery_guarantee(DeliveryGuarantee::exactly_once)
                   .build(),
               std::invalid_argument);  // no transactional id
  EXPECT_THROW(KafkaSink<std::string>::builder()
                   .transactional_id_prefix("x")
                   .delivery_guarantee(DeliveryGuarantee::exactly_once)
                   .build(),
               std::invalid_argument);  // no topic for the marker
}

TEST_F(KafkaConnectors, JobFromKafkaThroughMapToKafka) {
  create_topic(bootstrap(), "job-in", 3);
  create_topic(bootstrap(), "job-out", 2);
  std::vector<Rec> recs;
  for (int i = 0; i < 3000; ++i)
    recs.push_back({i % 3, std::nullopt, std::to_string(i), 10000 + i, {}});
  recs.push_back({0, std::nullopt, "not a number", 1, {}});
  produce(bootstrap(), "job-in", recs);

  // At parallelism 4 one subtask has no partition (3 partitions).
  for (int parallelism : {1, 2, 4}) {
    const std::string out_topic = "job-out-" + std::to_string(parallelism);
    create_topic(bootstrap(), out_topic, 2);
    StreamEnvironment env;
    env.set_parallelism(parallelism);
    auto source = KafkaSource<int64_t>::builder()
                      .bootstrap_servers(bootstrap())
                      .topic("job-in")
                      .group_id("job-" + std::to_string(parallelism))
                      .starting_offsets(StartingOffsets::earliest())
                      .bounded()
                      .deserializer(value_deserializer<int64_t>(
                          [](std::string_view v) { return std::stoll(std::string(v)); }))
                      .build();
    auto sink = KafkaSink<int64_t>::builder()
                    .bootstrap_servers(bootstrap())
                    .topic(out_topic)
                    .value_serializer([](const int64_t& v) { return std::to_string(v); },
                                      [](const int64_t& v) { return std::to_string(v % 10); })
                    .build();
    env.from_source(source, WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "numbers")
        .map([](const int64_t& v) { return v * 2; })
        .sink_to(sink);
    env.execute("kafka-map-kafka");

    const auto out = consume_all(bootstrap(), out_topic, 3000);
    ASSERT_EQ(out.size(), 3000u) << "parallelism " << parallelism;
    std::multiset<int64_t> got, expected;
    for (const auto& r : out) {
      const int64_t v = std::stoll(*r.value);
      got.insert(v);
      EXPECT_EQ(*r.key, std::to_string(v % 10));
      EXPECT_EQ(r.timestamp, 10000 + v / 2);  // the input record's timestamp carried through
    }
    for (int i = 0; i < 3000; ++i) expected.insert(2 * i);
    EXPECT_EQ(got, expected) << "parallelism " << parallelism;
  }
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc > 1) {
    sluice::g_sluice_bin = argv[1];
  } else if (const char* env = std::getenv("SLUICE_BIN")) {
    sluice::g_sluice_bin = env;
  } else {
    std::fprintf(stderr, "usage: kafka_connectors_test path/to/sluice (or SLUICE_BIN)\n");
    return 2;
  }
  return RUN_ALL_TESTS();
}
