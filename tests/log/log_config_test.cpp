#include "log/log_config.h"

#include <gtest/gtest.h>

#include <map>

namespace sluice::log {
namespace {

TEST(FlushPolicy, ParsesEveryBatchAndIntervals) {
  auto every = FlushPolicy::parse("every-batch");
  ASSERT_TRUE(every) << every.error();
  EXPECT_EQ(every->kind, FlushPolicy::kEveryBatch);

  auto ms = FlushPolicy::parse("50ms");
  ASSERT_TRUE(ms) << ms.error();
  EXPECT_EQ(ms->kind, FlushPolicy::kInterval);
  EXPECT_EQ(ms->interval, std::chrono::milliseconds(50));

  auto s = FlushPolicy::parse("1s");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->kind, FlushPolicy::kInterval);
  EXPECT_EQ(s->interval, std::chrono::milliseconds(1000));
}

TEST(FlushPolicy, RejectsBadInputWithAMessage) {
  for (const char* bad : {"", "0ms", "-5ms", "50", "fast", "10m", "1.5s", "ms", "s", "every",
                          "99999999999999999999ms", " 50ms"}) {
    auto parsed = FlushPolicy::parse(bad);
    EXPECT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().find("every-batch"), std::string::npos) << parsed.error();
  }
}

TEST(FlushPolicy, ToStringRoundTrips) {
  for (const char* text : {"every-batch", "50ms", "2s"}) {
    auto parsed = FlushPolicy::parse(text);
    ASSERT_TRUE(parsed);
    auto again = FlushPolicy::parse(parsed->to_string());
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *parsed);
  }
}

TEST(LogConfig, DefaultsAreKafkas) {
  LogConfig c;
  EXPECT_EQ(c.segment_bytes, 1LL << 30);
  EXPECT_EQ(c.segment_ms, 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_EQ(c.retention_ms, 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(c.max_message_bytes, 1048588);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.cleanup_policy, "delete");
  EXPECT_TRUE(c.deletes_by_retention());
}

TEST(LogConfig, AppliesKafkaTopicConfigs) {
  LogConfig c;
  EXPECT_TRUE(apply_topic_config(c, "retention.ms", "60000").ok());
  EXPECT_TRUE(apply_topic_config(c, "retention.bytes", "1048576").ok());
  EXPECT_TRUE(apply_topic_config(c, "segment.bytes", "16384").ok());
  EXPECT_TRUE(apply_topic_config(c, "segment.ms", "3600000").ok());
  EXPECT_TRUE(apply_topic_config(c, "max.message.bytes", "2000000").ok());
  EXPECT_TRUE(apply_topic_config(c, "index.interval.bytes", "100").ok());
  EXPECT_EQ(c.retention_ms, 60000);
  EXPECT_EQ(c.retention_bytes, 1048576);
  EXPECT_EQ(c.segment_bytes, 16384);
  EXPECT_EQ(c.segment_ms, 3600000);
  EXPECT_EQ(c.max_message_bytes, 2000000);
  EXPECT_EQ(c.index_interval_bytes, 100);
  EXPECT_TRUE(apply_topic_config(c, "retention.ms", "-1").ok());
  EXPECT_EQ(c.retention_ms, -1);
}

TEST(LogConfig, CleanupPolicyAcceptsDeleteCompactOrBoth) {
  LogConfig c;
  ASSERT_TRUE(apply_topic_config(c, "cleanup.policy", "compact").ok());
  EXPECT_EQ(c.cleanup_policy, "compact");
  EXPECT_FALSE(c.deletes_by_retention());
  ASSERT_TRUE(apply_topic_config(c, "cleanup.policy", "delete, compact").ok());
  EXPECT_EQ(c.cleanup_policy, "compact,delete");
  EXPECT_TRUE(c.deletes_by_retention());
  EXPECT_FALSE(apply_topic_config(c, "cleanup.policy", "shred").ok());
  EXPECT_FALSE(apply_topic_config(c, "cleanup.policy", "").ok());
}

TEST(LogConfig, RejectsInvalidValuesAndUnknownKeysLeavingConfigUnchanged) {
  const LogConfig original;
  struct Case {
    const char* key;
    const char* value;
  };
  for (Case bad : {Case{"retention.ms", "-2"}, Case{"retention.ms", "abc"},
                   Case{"retention.ms", "10s"}, Case{"retention.bytes", "-5"},
                   Case{"segment.bytes", "13"}, Case{"segment.bytes", "4294967296"},
                   Case{"segment.ms", "0"}, Case{"max.message.bytes", "-1"},
                   Case{"index.interval.bytes", ""}, Case{"retention.ms", "99999999999999999999"},
                   Case{"compression.type", "zstd"}, Case{"no.such.key", "1"}}) {
    LogConfig c;
    Status s = apply_topic_config(c, bad.key, bad.value);
    EXPECT_EQ(s.code, Errc::kInvalidConfig) << bad.key << "=" << bad.value;
    EXPECT_NE(s.message.find(bad.key), std::string::npos) << s.message;
    EXPECT_EQ(c, original) << bad.key;
  }
}

TEST(LogConfig, ApplyManyIsAllOrNothing) {
  LogConfig c;
  std::map<std::string, std::string> kv{{"retention.ms", "5"}, {"segment.bytes", "1"}};
  EXPECT_EQ(apply_topic_configs(c, kv).code, Errc::kInvalidConfig);
  EXPECT_EQ(c, LogConfig{});
  kv["segment.bytes"] = "100";
  EXPECT_TRUE(apply_topic_configs(c, kv).ok());
  EXPECT_EQ(c.retention_ms, 5);
  EXPECT_EQ(c.segment_bytes, 100);
}

TEST(LogConfig, EntriesListEveryKeyAndApplyBack) {
  LogConfig c;
  c.retention_ms = 123;
  c.segment_bytes = 4567;
  c.cleanup_policy = "compact";
  auto entries = topic_config_entries(c);
  ASSERT_EQ(entries.size(), 7u);
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end()));
  LogConfig rebuilt;
  for (const auto& [key, value] : entries)
    ASSERT_TRUE(apply_topic_config(rebuilt, key, value).ok()) << key;
  EXPECT_EQ(rebuilt, c);
}

}  // namespace
}  // namespace sluice::log
