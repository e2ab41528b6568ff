// The broker's data dir: every topic's partition logs (`<data-dir>/<topic>-<partition>/`,
// as Kafka lays them out) and each topic's partition count and config overrides (see
// TopicMetadata). Creates, deletes and grows topics, alters their configs (persisted and
// applied to the open logs at once), and runs flushing and retention over all partitions.
//
// Not thread-safe: the broker calls it from its one request thread. PartitionLog pointers
// stay valid until the topic is deleted or the store destroyed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/log_config.h"
#include "log/log_flusher.h"
#include "log/partition_log.h"
#include "log/status.h"
#include "log/topic_metadata.h"

namespace sluice::log {

struct TopicInfo {
  std::string name;
  int32_t partitions = 0;
  LogConfig config;           // effective: the store's defaults with the overrides applied
  ConfigOverrides overrides;  // as set by the user
};

/// One line of DescribeConfigs for a topic.
struct ConfigEntry {
  std::string name;
  std::string value;
  bool overridden = false;  // false: the broker default
};

class LogStore {
 public:
  /// More partitions per topic than this is refused (each holds open files).
  static constexpr int32_t kMaxPartitions = 10000;

  struct OpenResult {
    Status status;
    std::unique_ptr<LogStore> store;
    bool ok() const { return status.ok(); }
    const std::string& message() const { return status.message; }
  };

  /// Opens (creating if needed) `data_dir` and every topic and partition in it, recovering
  /// each log (see PartitionLog::open). Partition directories that belong to no topic (left
  /// by a deletion interrupted by a crash) are removed. Fails on unreadable metadata or a
  /// log that cannot be opened, naming it.
  static OpenResult open(const std::filesystem::path& data_dir, LogConfig defaults);

  ~LogStore();

  /// Checks what create_topic would check, changing nothing. Errors: kInvalidTopic (bad or
  /// colliding name), kTopicAlreadyExists, kInvalidPartitions, kInvalidConfig.
  Status validate_new_topic(std::string_view name, int32_t partitions,
                            const ConfigOverrides& overrides) const;
  /// Creates a topic with `partitions` empty logs and the given config overrides.
  Status create_topic(std::string_view name, int32_t partitions, const ConfigOverrides& overrides);
  /// Deletes the topic and all its data. kUnknownTopicOrPartition when it does not exist.
  Status delete_topic(std::string_view name);
  /// Grows the topic to `new_total` partitions. kInvalidPartitions unless it is larger.
  Status add_partitions(std::string_view name, int32_t new_total);

  /// Every topic, sorted by name.
  std::vector<TopicInfo> topics() const;
  std::optional<TopicInfo> topic(std::string_view name) const;
  /// 0 when the topic does not exist.
  int32_t partition_count(std::string_view name) const;
  /// nullptr when the topic or partition does not exist.
  PartitionLog* partition(std::string_view topic, int32_t partition);

  /// Checks that every key is a known topic config with a valid value (kInvalidConfig).
  Status validate_overrides(const ConfigOverrides& overrides) const;
  std::optional<ConfigOverrides> topic_overrides(std::string_view name) const;
  /// Replaces all of the topic's overrides (Kafka's AlterConfigs); persisted, then applied.
  Status set_topic_overrides(std::string_view name, const ConfigOverrides& overrides);
  /// Sets the given keys and removes `removed` ones, keeping other overrides
  /// (IncrementalAlterConfigs).
  Status alter_config(std::string_view name, const ConfigOverrides& set,
                      const std::vector<std::string>& removed = {});
  /// Every topic config with its effective value, for DescribeConfigs; nullopt for an
  /// unknown topic.
  std::optional<std::vector<ConfigEntry>> describe_config(std::string_view name) const;

  /// PartitionLog::flush_if_due on every partition; failures are logged.
  void flush_if_due(int64_t now_ms);
  /// The same, but the fsyncs run on `flusher`'s thread: this returns at once. Each due
  /// partition counts as flushed from now on (a failed fsync is logged).
  void flush_if_due(int64_t now_ms, LogFlusher& flusher);
  /// Flushes every partition; returns the first failure (all are attempted).
  Status flush_all();
  /// PartitionLog::apply_retention on every partition; returns the segments deleted.
  int apply_retention(int64_t now_ms);

  const LogConfig& defaults() const { return defaults_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  struct Topic {
    TopicMetadata metadata;
    LogConfig config;
    std::vector<std::unique_ptr<PartitionLog>> partitions;
  };

  LogStore(std::filesystem::path data_dir, LogConfig defaults);
  Status load();
  void remove_orphan_partition_dirs();
  std::filesystem::path partition_dir(std::string_view topic, int32_t partition) const;
  std::filesystem::path topics_dir() const { return data_dir_ / kTopicsDirName; }
  Status open_partitions(std::string_view name, Topic& topic, int32_t from, int32_t to, bool fresh);
  Topic* find(std::string_view name);
  const Topic* find(std::string_view name) const;
  TopicInfo info(const std::string& name, const Topic& topic) const;

  std::filesystem::path data_dir_;
  LogConfig defaults_;
  std::map<std::string, Topic, std::less<>> topics_;
};

}  // namespace sluice::log
