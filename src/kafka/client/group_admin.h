// GroupAdmin: consumer-group administration through librdkafka's Admin API
// (ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets,
// AlterConsumerGroupOffsets, DeleteGroups), so it works against any Kafka cluster. Owns its
// Handle. Each call blocks until the cluster answers or the timeout given at construction
// runs out. Per-group and per-partition outcomes (unknown group, group not empty) come back
// as Error values; a cluster that does not answer at all throws ClientError.
// Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kafka/client/config.h"
#include "kafka/client/error.h"
#include "kafka/client/handle.h"
#include "kafka/client/metadata.h"

namespace sluice::kafka::client {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  auto operator<=>(const TopicPartition&) const = default;
};

struct GroupListing {
  std::string group_id;
  std::string state;       // "Stable", "Empty", ... (Kafka's names)
  bool is_simple = false;  // no protocol type: offsets committed without joining
  // "consumer" for groups of Kafka consumers, "" for simple groups (librdkafka's
  // ListConsumerGroups reports only whether the protocol type is empty).
  std::string protocol_type() const { return is_simple ? "" : "consumer"; }
};

struct GroupListings {
  std::vector<GroupListing> groups;  // sorted by group id
  std::vector<Error> errors;         // brokers that could not list their groups
};

struct GroupMember {
  std::string member_id;
  std::string group_instance_id;  // "" unless static membership
  std::string client_id;
  std::string host;                        // as the broker reports it, e.g. "/127.0.0.1"
  std::vector<TopicPartition> assignment;  // sorted
};

struct GroupDescription {
  std::string group_id;
  Error error;                     // e.g. GROUP_ID_NOT_FOUND, COORDINATOR_NOT_AVAILABLE
  std::string state;               // "Dead" for a group the coordinator does not know
  std::string partition_assignor;  // "range", "cooperative-sticky", ... ("" when empty)
  bool is_simple = false;
  BrokerInfo coordinator;
  std::vector<GroupMember> members;  // sorted by member id
};

// A committed offset of one partition (offset -1: nothing committed), or the outcome of
// altering it.
struct PartitionOffset {
  TopicPartition tp;
  int64_t offset = -1;
  std::string metadata;
  Error error;
};

struct GroupOffsets {
  Error error;                           // the whole request, e.g. GROUP_ID_NOT_FOUND
  std::vector<PartitionOffset> offsets;  // sorted by topic, partition
};

class GroupAdmin {
 public:
  GroupAdmin(Config config, std::chrono::milliseconds timeout);

  // Every group of every broker of the cluster. Brokers older than Kafka 2.6 (ListGroups
  // v3 and below) do not tell the state; it is then asked with DescribeGroups.
  GroupListings list_groups();
  GroupDescription describe_group(const std::string& group);
  // In the order of `groups`.
  std::vector<GroupDescription> describe_groups(const std::vector<std::string>& groups);
  // The group's committed offsets: of `partitions`, or of every partition that has one when
  // `partitions` is empty. (librdkafka 2.0 asks for "every partition" with an empty topic
  // list, which Kafka answers from 2.4 on; name the partitions for older brokers.)
  GroupOffsets committed_offsets(const std::string& group,
                                 const std::vector<TopicPartition>& partitions = {});
  // Commits `offsets` (their metadata is not sent) for the group, as an admin (no generation, no
  // member): the broker accepts it only while the group has no members.
  GroupOffsets alter_offsets(const std::string& group, const std::vector<PartitionOffset>& offsets);
  Error delete_group(const std::string& group);

  // For each partition of `topic` in `partitions`, the first offset whose timestamp is
  // >= timestamp_ms, or -1 when every record is older. Throws ClientError on failure.
  std::vector<int64_t> offsets_for_times(const std::string& topic,
                                         const std::vector<int32_t>& partitions,
                                         int64_t timestamp_ms);

  Handle& handle() { return handle_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  Handle handle_;
  std::chrono::milliseconds timeout_;
};

}  // namespace sluice::kafka::client
