#include "log/log_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "log/topic_name.h"
#include "log_test_support.h"

namespace sluice::log {
namespace {

using testing::make_batch;
using testing::TempDir;

std::unique_ptr<LogStore> open_store(const std::filesystem::path& dir, LogConfig defaults = {}) {
  auto opened = LogStore::open(dir, defaults);
  EXPECT_TRUE(opened.ok()) << opened.message();
  return std::move(opened.store);
}

void append_one(PartitionLog* log) {
  ASSERT_NE(log, nullptr);
  auto bytes = make_batch();
  ASSERT_TRUE(log->append(bytes, 1000).ok());
}

TEST(LogStore, CreatesListsAndFindsTopics) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  ASSERT_TRUE(store->create_topic("orders", 3, {}).ok());
  ASSERT_TRUE(store->create_topic("clicks", 1, {{"retention.ms", "60000"}}).ok());

  auto topics = store->topics();
  ASSERT_EQ(topics.size(), 2u);
  EXPECT_EQ(topics[0].name, "clicks");
  EXPECT_EQ(topics[0].partitions, 1);
  EXPECT_EQ(topics[0].config.retention_ms, 60000);
  EXPECT_EQ(topics[0].overrides.at("retention.ms"), "60000");
  EXPECT_EQ(topics[1].name, "orders");
  EXPECT_EQ(topics[1].partitions, 3);
  EXPECT_EQ(topics[1].config, LogConfig{});

  EXPECT_EQ(store->partition_count("orders"), 3);
  EXPECT_EQ(store->partition_count("nope"), 0);
  EXPECT_NE(store->partition("orders", 2), nullptr);
  EXPECT_EQ(store->partition("orders", 3), nullptr);
  EXPECT_EQ(store->partition("orders", -1), nullptr);
  EXPECT_EQ(store->partition("nope", 0), nullptr);
  EXPECT_TRUE(std::filesystem::is_directory(tmp.path() / "orders-0"));
  EXPECT_TRUE(std::filesystem::is_directory(tmp.path() / "orders-2"));
  EXPECT_EQ(store->partition("clicks", 0)->config().retention_ms, 60000);
}

TEST(LogStore, ReloadsTopicsDataAndConfigs) {
  TempDir tmp;
  LogConfig defaults;
  defaults.segment_bytes = 1 << 20;
  {
    auto store = open_store(tmp.path(), defaults);
    ASSERT_TRUE(store->create_topic("a.b-c_d", 2, {{"cleanup.policy", "compact"}}).ok());
    append_one(store->partition("a.b-c_d", 1));
    append_one(store->partition("a.b-c_d", 1));
  }
  auto store = open_store(tmp.path(), defaults);
  auto topic = store->topic("a.b-c_d");
  ASSERT_TRUE(topic);
  EXPECT_EQ(topic->partitions, 2);
  EXPECT_EQ(topic->config.cleanup_policy, "compact");
  EXPECT_EQ(topic->config.segment_bytes, 1 << 20);  // defaults come from the store
  EXPECT_EQ(store->partition("a.b-c_d", 1)->log_end_offset(), 2);
  EXPECT_EQ(store->partition("a.b-c_d", 0)->log_end_offset(), 0);
}

TEST(LogStore, DeletesTopicsAndTheirData) {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    ASSERT_TRUE(store->create_topic("gone", 2, {}).ok());
    append_one(store->partition("gone", 0));
    ASSERT_TRUE(store->create_topic("kept", 1, {}).ok());
    ASSERT_TRUE(store->delete_topic("gone").ok());
    EXPECT_EQ(store->delete_topic("gone").code, Errc::kUnknownTopicOrPartition);
    EXPECT_EQ(store->partition("gone", 0), nullptr);
    EXPECT_FALSE(std::filesystem::exists(tmp.path() / "gone-0"));
    EXPECT_FALSE(std::filesystem::exists(tmp.path() / "gone-1"));
    // Recreated under the same name, the topic starts empty.
    ASSERT_TRUE(store->create_topic("gone", 1, {}).ok());
    EXPECT_EQ(store->partition("gone", 0)->log_end_offset(), 0);
    ASSERT_TRUE(store->delete_topic("gone").ok());
  }
  auto store = open_store(tmp.path());
  ASSERT_EQ(store->topics().size(), 1u);
  EXPECT_EQ(store->topics()[0].name, "kept");
}

TEST(LogStore, RemovesPartitionDirectoriesThatBelongToNoTopic) {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    ASSERT_TRUE(store->create_topic("t", 1, {}).ok());
  }
  // As a crash between deleting the metadata and the logs would leave them.
  std::filesystem::create_directories(tmp.path() / "deleted-0");
  std::filesystem::create_directories(tmp.path() / "t-5");
  std::filesystem::create_directories(tmp.path() / "not a partition dir");
  auto store = open_store(tmp.path());
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "deleted-0"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "t-5"));
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "t-0"));
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "not a partition dir"));
}

TEST(LogStore, RejectsInvalidTopicsPartitionsAndConfigs) {
  TempDir tmp;
  auto store = open_store(tmp.path());
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "..", "has space", "slash/y", "caf\xc3\xa9", "star*", std::string(250, 'x')}) {
    Status s = store->create_topic(bad, 1, {});
    EXPECT_EQ(s.code, Errc::kInvalidTopic) << bad;
    EXPECT_FALSE(s.message.empty());
  }
  EXPECT_TRUE(store->create_topic(std::string(249, 'x'), 1, {}).ok());

  ASSERT_TRUE(store->create_topic("metrics.cpu", 1, {}).ok());
  EXPECT_EQ(store->create_topic("metrics.cpu", 1, {}).code, Errc::kTopicAlreadyExists);
  Status collide = store->create_topic("metrics_cpu", 1, {});
  EXPECT_EQ(collide.code, Errc::kInvalidTopic);
  EXPECT_NE(collide.message.find("collides"), std::string::npos);

  EXPECT_EQ(store->create_topic("zero", 0, {}).code, Errc::kInvalidPartitions);
  EXPECT_EQ(store->create_topic("many", LogStore::kMaxPartitions + 1, {}).code,
            Errc::kInvalidPartitions);
  EXPECT_EQ(store->create_topic("cfg", 1, {{"retention.ms", "soon"}}).code, Errc::kInvalidConfig);
  EXPECT_EQ(store->create_topic("cfg", 1, {{"bogus.key", "1"}}).code, Errc::kInvalidConfig);
  EXPECT_EQ(store->partition_count("cfg"), 0);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "cfg-0"));

  // validate_new_topic checks the same and creates nothing.
  EXPECT_TRUE(store->validate_new_topic("fresh", 2, {{"segment.ms", "1000"}}).ok());
  EXPECT_EQ(store->partition_count("fresh"), 0);
  EXPECT_EQ(store->validate_new_topic("metrics.cpu", 1, {}).code, Errc::kTopicAlreadyExists);
}

TEST(TopicName, FollowsKafkasRules) {
  EXPECT_TRUE(validate_topic_name("__consumer_offsets").ok());
  EXPECT_TRUE(validate_topic_name("A-z.0_9").ok());
  EXPECT_FALSE(validate_topic_name("a:b").ok());
  EXPECT_TRUE(topic_names_collide("a.b", "a_b"));
  EXPECT_FALSE(topic_names_collide("a.b", "a.b"));
  EXPECT_FALSE(topic_names_collide("a.b", "a-b"));
}

TEST(LogStore, AddsPartitionsPersistently) {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    ASSERT_TRUE(store->create_topic("t", 2, {}).ok());
    append_one(store->partition("t", 1));
    ASSERT_TRUE(store->add_partitions("t", 5).ok());
    EXPECT_EQ(store->partition_count("t"), 5);
    EXPECT_NE(store->partition("t", 4), nullptr);
    EXPECT_EQ(store->add_partitions("t", 5).code, Errc::kInvalidPartitions);
    EXPECT_EQ(store->add_partitions("t", 3).code, Errc::kInvalidPartitions);
    EXPECT_EQ(store->add_partitions("nope", 3).code, Errc::kUnknownTopicOrPartition);
  }
  auto store = open_store(tmp.path());
  EXPECT_EQ(store->partition_count("t"), 5);
  EXPECT_EQ(store->partition("t", 1)->log_end_offset(), 1);
  EXPECT_TRUE(std::filesystem::is_directory(tmp.path() / "t-4"));
}

TEST(LogStore, AltersConfigsPersistentlyAndAppliesThemToOpenLogs) {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    ASSERT_TRUE(store->create_topic("t", 2, {{"retention.ms", "1000"}}).ok());
    ASSERT_TRUE(store->alter_config("t", {{"segment.bytes", "4096"}}).ok());
    EXPECT_EQ(store->partition("t", 1)->config().segment_bytes, 4096);
    EXPECT_EQ(store->partition("t", 1)->config().retention_ms, 1000);  // kept

    Status bad = store->alter_config("t", {{"segment.bytes", "1"}});
    EXPECT_EQ(bad.code, Errc::kInvalidConfig);
    EXPECT_EQ(store->partition("t", 0)->config().segment_bytes, 4096);  // unchanged
    EXPECT_EQ(store->alter_config("nope", {}).code, Errc::kUnknownTopicOrPartition);

    auto described = store->describe_config("t");
    ASSERT_TRUE(described);
    ASSERT_EQ(described->size(), 7u);
    for (const auto& e : *described) {
      if (e.name == "segment.bytes") {
        EXPECT_EQ(e.value, "4096");
        EXPECT_TRUE(e.overridden);
      } else if (e.name == "retention.ms") {
        EXPECT_EQ(e.value, "1000");
        EXPECT_TRUE(e.overridden);
      } else {
        EXPECT_FALSE(e.overridden) << e.name;
      }
    }
    EXPECT_FALSE(store->describe_config("nope"));
  }
  {
    auto store = open_store(tmp.path());
    auto overrides = store->topic_overrides("t");
    ASSERT_TRUE(overrides);
    EXPECT_EQ(*overrides, (ConfigOverrides{{"retention.ms", "1000"}, {"segment.bytes", "4096"}}));
    EXPECT_EQ(store->partition("t", 0)->config().segment_bytes, 4096);

    // AlterConfigs replaces the whole set; IncrementalAlterConfigs can remove keys.
    ASSERT_TRUE(store->set_topic_overrides("t", {{"max.message.bytes", "100"}}).ok());
    EXPECT_EQ(store->partition("t", 0)->config().segment_bytes, LogConfig{}.segment_bytes);
    EXPECT_EQ(store->partition("t", 0)->config().max_message_bytes, 100);
    ASSERT_TRUE(store->alter_config("t", {}, {"max.message.bytes"}).ok());
    EXPECT_TRUE(store->topic_overrides("t")->empty());
  }
  auto store = open_store(tmp.path());
  EXPECT_TRUE(store->topic_overrides("t")->empty());
  EXPECT_EQ(store->partition("t", 0)->config(), LogConfig{});
  EXPECT_TRUE(store->validate_overrides({{"retention.bytes", "10"}}).ok());
  EXPECT_EQ(store->validate_overrides({{"retention.bytes", "x"}}).code, Errc::kInvalidConfig);
}

TEST(LogStore, RefusesToOpenWithUnreadableTopicMetadata) {
  TempDir tmp;
  {
    auto store = open_store(tmp.path());
    ASSERT_TRUE(store->create_topic("t", 1, {}).ok());
  }
  std::ofstream(tmp.path() / "__topics" / "t.cfg") << "partitions=banana\n";
  auto opened = LogStore::open(tmp.path(), {});
  EXPECT_FALSE(opened.ok());
  EXPECT_NE(opened.message().find("t.cfg"), std::string::npos) << opened.message();
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "t-0"));  // no data was removed
}

TEST(LogStore, FlushesAndAppliesRetentionOverAllPartitions) {
  TempDir tmp;
  LogConfig defaults;
  defaults.flush = *FlushPolicy::parse("10ms");
  defaults.segment_bytes = 200;  // one 161-byte batch per segment
  auto store = open_store(tmp.path(), defaults);
  ASSERT_TRUE(store->create_topic("t", 2, {{"retention.bytes", "0"}}).ok());
  for (int i = 0; i < 3; ++i) {
    append_one(store->partition("t", 0));
    append_one(store->partition("t", 1));
  }
  EXPECT_TRUE(store->partition("t", 0)->flush_pending());
  store->flush_if_due(1005);
  EXPECT_TRUE(store->partition("t", 0)->flush_pending());
  store->flush_if_due(1010);
  EXPECT_FALSE(store->partition("t", 0)->flush_pending());
  EXPECT_FALSE(store->partition("t", 1)->flush_pending());
  append_one(store->partition("t", 1));
  EXPECT_TRUE(store->flush_all().ok());
  EXPECT_FALSE(store->partition("t", 1)->flush_pending());

  EXPECT_EQ(store->apply_retention(2000), 5);  // all but each active segment
  EXPECT_EQ(store->partition("t", 0)->log_start_offset(), 2);
  EXPECT_EQ(store->partition("t", 1)->log_start_offset(), 3);
}

}  // namespace
}  // namespace sluice::log
