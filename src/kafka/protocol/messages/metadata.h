// Metadata (key 3): brokers, topics and partition leaders. v1+ distinguishes a null topic
// list (all topics) from an empty one (none); v4+ lets the client ask for auto-creation.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct MetadataRequest {
  struct Topic {
    std::string name;
    template <class F>
    void fields(F& f) {
      f(name);
    }
  };
  std::optional<std::vector<Topic>> topics;  // v0: empty means all
  bool allow_auto_topic_creation = true;
  bool include_cluster_authorized_operations = false;
  bool include_topic_authorized_operations = false;
  template <class F>
  void fields(F& f) {
    f(topics);
    f(allow_auto_topic_creation, since(4));
    f(include_cluster_authorized_operations, between(8, 10));
    f(include_topic_authorized_operations, since(8));
  }
};

struct MetadataResponse {
  struct Broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
    template <class F>
    void fields(F& f) {
      f(node_id);
      f(host);
      f(port);
      f(rack, since(1));
    }
  };
  struct Partition {
    int16_t error_code = 0;
    int32_t partition_index = 0;
    int32_t leader_id = 0;
    int32_t leader_epoch = 0;
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;
    template <class F>
    void fields(F& f) {
      f(error_code);
      f(partition_index);
      f(leader_id);
      f(leader_epoch, since(7));
      f(replica_nodes);
      f(isr_nodes);
      f(offline_replicas, since(5));
    }
  };
  struct Topic {
    int16_t error_code = 0;
    std::string name;
    bool is_internal = false;
    std::vector<Partition> partitions;
    int32_t topic_authorized_operations = INT32_MIN;
    template <class F>
    void fields(F& f) {
      f(error_code);
      f(name);
      f(is_internal, since(1));
      f(partitions);
      f(topic_authorized_operations, since(8));
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::vector<Topic> topics;
  int32_t cluster_authorized_operations = INT32_MIN;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(3));
    f(brokers);
    f(cluster_id, since(2));
    f(controller_id, since(1));
    f(topics);
    f(cluster_authorized_operations, between(8, 10));
  }
};

}  // namespace sluice::kafka
