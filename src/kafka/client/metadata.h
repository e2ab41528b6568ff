// ClusterMetadata: a snapshot of what a cluster said about its brokers and topics in one
// Metadata response. A plain value, copied out of librdkafka's structures; safe to keep.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/client/error.h"

namespace sluice::kafka::client {

struct BrokerInfo {
  int32_t id = -1;
  std::string host;
  int port = 0;
};

struct PartitionInfo {
  int32_t id = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isrs;
  Error error;
};

struct TopicInfo {
  std::string name;
  std::vector<PartitionInfo> partitions;  // sorted by id
  Error error;                            // e.g. UNKNOWN_TOPIC_OR_PART
};

struct ClusterMetadata {
  std::vector<BrokerInfo> brokers;
  std::vector<TopicInfo> topics;  // sorted by name
  int32_t controller_id = -1;
  int32_t answering_broker_id = -1;

  const TopicInfo* find(const std::string& topic) const;
};

// The low (first kept) and high (next to be written) offsets of one partition.
struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};

}  // namespace sluice::kafka::client
