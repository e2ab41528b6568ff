#include "sluice/serialization.h"

#include <gtest/gtest.h>

#include <map>

#include "sluice/kafka_common.h"

namespace sluice {
namespace {

KafkaRecordView view(std::optional<std::string_view> key, std::optional<std::string_view> value) {
  KafkaRecordView r;
  r.topic = "orders";
  r.partition = 2;
  r.offset = 41;
  r.timestamp = 1000;
  r.key = key;
  r.value = value;
  return r;
}

TEST(Deserializers, StringTakesTheValueAndRejectsTombstones) {
  auto d = string_deserializer();
  auto ok = d(view("k", "hello"));
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(ok.value(), "hello");
  auto bad = d(view("k", std::nullopt));
  EXPECT_TRUE(bad.is_bad());
  EXPECT_NE(bad.reason().find("tombstone"), std::string::npos);
}

TEST(Deserializers, BytesKeepEveryByte) {
  auto d = bytes_deserializer();
  const std::string raw("a\0\xff", 3);
  auto ok = d(view(std::nullopt, raw));
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(ok.value(), (Bytes{'a', 0, 0xff}));
  EXPECT_TRUE(d(view(std::nullopt, std::nullopt)).value().empty());
}

TEST(Deserializers, RecordCopiesEverything) {
  auto d = record_deserializer();
  auto r = d(view(std::nullopt, "v"));
  ASSERT_TRUE(r.is_ok());
  const KafkaRecord& k = r.value();
  EXPECT_EQ(k.topic, "orders");
  EXPECT_EQ(k.partition, 2);
  EXPECT_EQ(k.offset, 41);
  EXPECT_EQ(k.timestamp, 1000);
  EXPECT_FALSE(k.key.has_value());
  EXPECT_EQ(*k.value, "v");
  EXPECT_TRUE(k.headers.empty());
}

TEST(Deserializers, ValueDeserializerParsesOrThrows) {
  auto d = value_deserializer<int>([](std::string_view v) {
    if (v.empty() || v.find_first_not_of("0123456789") != std::string_view::npos) {
      throw std::invalid_argument("not a number: " + std::string(v));
    }
    return std::stoi(std::string(v));
  });
  EXPECT_EQ(d(view(std::nullopt, "12")).value(), 12);
  EXPECT_THROW(d(view(std::nullopt, "x")), std::invalid_argument);
  EXPECT_TRUE(d(view(std::nullopt, std::nullopt)).is_bad());
  EXPECT_TRUE(Deserialized<int>::skip().is_skip());
}

TEST(KafkaRecordHeaders, LastHeaderWins) {
  KafkaRecord r;
  r.headers = {{"a", "1"}, {"b", std::nullopt}, {"a", "2"}};
  EXPECT_EQ(*r.header("a"), "2");
  EXPECT_FALSE(r.header("b").has_value());
  EXPECT_FALSE(r.header("c").has_value());
}

TEST(Serializers, FillTheProducerRecord) {
  ProducerRecord out;
  string_serializer()("text", SinkContext{}, out);
  EXPECT_EQ(*out.value, "text");
  EXPECT_FALSE(out.key.has_value());
  EXPECT_TRUE(out.topic.empty());

  out.clear();
  bytes_serializer()(Bytes{1, 2}, SinkContext{}, out);
  EXPECT_EQ(*out.value, std::string("\x01\x02"));

  out.clear();
  KafkaRecord k;
  k.topic = "t";
  k.partition = 3;
  k.key = "key";
  k.value = "val";
  k.headers = {{"h", "v"}};
  k.timestamp = 77;
  record_serializer(true)(k, SinkContext{}, out);
  EXPECT_EQ(out.topic, "t");
  EXPECT_EQ(out.partition, 3);
  EXPECT_EQ(*out.key, "key");
  EXPECT_EQ(out.headers, (std::vector<RecordHeader>{{"h", "v"}}));
  EXPECT_EQ(out.timestamp, 77);

  out.clear();
  record_serializer()(k, SinkContext{}, out);
  EXPECT_FALSE(out.partition.has_value());

  out.clear();
  value_serializer<int>([](const int& v) { return std::to_string(v); },
                        [](const int& v) { return "k" + std::to_string(v % 2); })(7, SinkContext{},
                                                                                  out);
  EXPECT_EQ(*out.value, "7");
  EXPECT_EQ(*out.key, "k1");
  EXPECT_EQ(out.timestamp, kNoTimestamp);
}

TEST(AssignPartitions, EveryPartitionToExactlyOneSubtaskInSortedOrder) {
  std::vector<KafkaTopicPartition> all = {{"b", 1}, {"a", 2}, {"a", 0}, {"b", 0}, {"a", 1}};
  const auto s0 = assign_partitions(all, 0, 2);
  const auto s1 = assign_partitions(all, 1, 2);
  // Sorted: a-0 a-1 a-2 b-0 b-1 -> indices 0..4.
  ASSERT_EQ(s0.size(), 3u);
  ASSERT_EQ(s1.size(), 2u);
  EXPECT_EQ(s0[0].tp, (KafkaTopicPartition{"a", 0}));
  EXPECT_EQ(s0[0].split, 0);
  EXPECT_EQ(s0[1].tp, (KafkaTopicPartition{"a", 2}));
  EXPECT_EQ(s0[1].split, 2);
  EXPECT_EQ(s0[2].tp, (KafkaTopicPartition{"b", 1}));
  EXPECT_EQ(s0[2].split, 4);
  EXPECT_EQ(s1[0].tp, (KafkaTopicPartition{"a", 1}));
  EXPECT_EQ(s1[1].tp, (KafkaTopicPartition{"b", 0}));
  EXPECT_EQ(s1[1].split, 3);

  for (int p = 1; p <= 7; ++p) {
    std::map<KafkaTopicPartition, int> seen;
    for (int i = 0; i < p; ++i) {
      for (const auto& a : assign_partitions(all, i, p)) ++seen[a.tp];
    }
    EXPECT_EQ(seen.size(), all.size()) << "parallelism " << p;
    for (const auto& [tp, n] : seen) EXPECT_EQ(n, 1) << tp.str();
  }
  EXPECT_TRUE(assign_partitions(all, 6, 7).empty());
  EXPECT_THROW(assign_partitions(all, 2, 2), std::invalid_argument);
}

TEST(NewPartitionOwner, StableAndInRange) {
  std::map<int, int> per_owner;
  for (int p = 0; p < 64; ++p) {
    const KafkaTopicPartition tp{"clicks", p};
    const int owner = new_partition_owner(tp, 3);
    EXPECT_EQ(owner, new_partition_owner(tp, 3));
    ASSERT_GE(owner, 0);
    ASSERT_LT(owner, 3);
    ++per_owner[owner];
  }
  EXPECT_EQ(per_owner.size(), 3u);  // spread, not all on one subtask
  EXPECT_EQ(new_partition_owner({"t", 5}, 1), 0);
}

}  // namespace
}  // namespace sluice
