// OffsetDelete (key 47): removes a group's committed offsets for partitions it no longer
// consumes.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct OffsetDeleteRequest {
  struct Partition {
    int32_t partition_index = 0;
    template <class F>
    void fields(F& f) {
      f(partition_index);
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
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(group_id);
    f(topics);
  }
};

struct OffsetDeleteResponse {
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
  int16_t error_code = 0;
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(error_code);
    f(throttle_time_ms);
    f(topics);
  }
};

}  // namespace sluice::kafka
