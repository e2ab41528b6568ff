// The Kafka APIs the broker serves, with the version range it advertises in ApiVersions
// and the first flexible (KIP-482) version of each. The ranges are chosen so that
// librdkafka 2.0, kafka-python 2.0, confluent-kafka 1.7 and kafkajs 2.2 all find a
// common version; the flexible versions of most APIs are not advertised yet.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sluice::kafka {

enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kSaslHandshake = 17,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kInitProducerId = 22,
  kAddPartitionsToTxn = 24,
  kAddOffsetsToTxn = 25,
  kEndTxn = 26,
  kTxnOffsetCommit = 28,
  kDescribeConfigs = 32,
  kAlterConfigs = 33,
  kDescribeLogDirs = 35,
  kCreatePartitions = 37,
  kDeleteGroups = 42,
  kIncrementalAlterConfigs = 44,
  kOffsetDelete = 47,
  kDescribeTransactions = 65,
  kListTransactions = 66,
};

struct ApiInfo {
  ApiKey key;
  std::string_view name;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible_version;  // INT16_MAX when no advertised version is flexible

  bool supports(int16_t v) const { return v >= min_version && v <= max_version; }
  bool flexible(int16_t v) const { return v >= first_flexible_version; }
};

/// Every API the broker serves, in key order.
std::span<const ApiInfo> supported_apis();

/// The entry for a key, or nullopt for an API the broker does not serve.
std::optional<ApiInfo> find_api(int16_t key);

}  // namespace sluice::kafka
