// ListOffsets (key 2): the offset for a timestamp, or the earliest (-2) / latest (-1).
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;

struct ListOffsetsRequest {
  struct Partition {
    int32_t partition_index = 0;
    int32_t current_leader_epoch = -1;
    int64_t timestamp = 0;
    int32_t max_num_offsets = 1;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(current_leader_epoch, since(4));
      f(timestamp);
      f(max_num_offsets, until(0));
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
  int32_t replica_id = -1;
  int8_t isolation_level = 0;
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(replica_id);
    f(isolation_level, since(2));
    f(topics);
  }
};

struct ListOffsetsResponse {
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    std::vector<int64_t> old_style_offsets;
    int64_t timestamp = -1;
    int64_t offset = -1;
    int32_t leader_epoch = -1;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(error_code);
      f(old_style_offsets, until(0));
      f(timestamp, since(1));
      f(offset, since(1));
      f(leader_epoch, since(4));
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
    f(throttle_time_ms, since(2));
    f(topics);
  }
};

}  // namespace sluice::kafka
