// OffsetFetch (key 9): a group's committed offsets; a null topic list (v2+) means all.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct OffsetFetchRequest {
  struct Topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
    template <class F>
    void fields(F& f) {
      f(name);
      f(partition_indexes);
    }
  };
  std::string group_id;
  std::optional<std::vector<Topic>> topics;
  template <class F>
  void fields(F& f) {
    f(group_id);
    f(topics);
  }
};

struct OffsetFetchResponse {
  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;
    std::optional<std::string> metadata;
    int16_t error_code = 0;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(committed_offset);
      f(committed_leader_epoch, since(5));
      f(metadata);
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
  int16_t error_code = 0;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(3));
    f(topics);
    f(error_code, since(2));
  }
};

}  // namespace sluice::kafka
