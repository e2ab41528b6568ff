// AdminClient: topic administration through librdkafka's Admin API (CreateTopics,
// DeleteTopics, CreatePartitions, DescribeConfigs, AlterConfigs). Owns its Handle. Each
// call blocks until the cluster answers or the timeout given at construction runs out.
// Per-topic outcomes (already exists, unknown topic, invalid config) come back as Error
// values; a cluster that does not answer at all throws ClientError. Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kafka/client/config.h"
#include "kafka/client/error.h"
#include "kafka/client/handle.h"

namespace sluice::kafka::client {

struct NewTopic {
  std::string name;
  int32_t partitions = 1;           // -1: the broker's default
  int32_t replication_factor = 1;   // -1: the broker's default
  std::vector<std::pair<std::string, std::string>> configs;
};

struct TopicOutcome {
  std::string topic;
  Error error;
};

struct ConfigEntry {
  std::string name;
  std::string value;  // "" for a null or sensitive value
  bool is_null = false;
  bool is_default = false;
  bool is_read_only = false;
  bool is_sensitive = false;
  rd_kafka_ConfigSource_t source = RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG;
};

struct TopicConfigs {
  Error error;
  std::vector<ConfigEntry> entries;  // sorted by name
};

class AdminClient {
 public:
  AdminClient(Config config, std::chrono::milliseconds timeout);

  std::vector<TopicOutcome> create_topics(const std::vector<NewTopic>& topics);
  std::vector<TopicOutcome> delete_topics(const std::vector<std::string>& topics);
  // Grows `topic` to `total_partitions` partitions.
  TopicOutcome create_partitions(const std::string& topic, int32_t total_partitions);
  TopicConfigs describe_topic_configs(const std::string& topic);
  // AlterConfigs replaces the topic's whole dynamic configuration with `configs`: pass
  // every override that should remain (see alter_topic_configs).
  Error replace_topic_configs(const std::string& topic,
                              const std::vector<std::pair<std::string, std::string>>& configs);
  // Sets `set` and removes the overrides named in `remove`, keeping the topic's other
  // current overrides (read with DescribeConfigs first), as an incremental alter would.
  Error alter_topic_configs(const std::string& topic,
                            const std::vector<std::pair<std::string, std::string>>& set,
                            const std::vector<std::string>& remove);

  Handle& handle() { return handle_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  Handle handle_;
  std::chrono::milliseconds timeout_;
};

}  // namespace sluice::kafka::client
