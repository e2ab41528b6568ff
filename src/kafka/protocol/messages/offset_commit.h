// OffsetCommit (key 8): a group's committed offsets (with metadata) for partitions.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct OffsetCommitRequest {
  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;
    int64_t commit_timestamp = -1;
    std::optional<std::string> committed_metadata;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(committed_offset);
      f(committed_leader_epoch, since(6));
      f(commit_timestamp, between(1, 1));
      f(committed_metadata);
    }
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <class F>
    void fields(F& f) {
      f(name);
      f(partitions);
    }
  };
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int64_t retention_time_ms = -1;
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(group_id);
    f(generation_id, since(1));
    f(member_id, since(1));
    f(group_instance_id, since(7));
    f(retention_time_ms, between(2, 4));
    f(topics);
  }
};

struct OffsetCommitResponse {
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(error_code);
    }
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    template <class F>
    void fields(F& f) {
      f(name);
      f(partitions);
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(3));
    f(topics);
  }
};

}  // namespace sluice::kafka
