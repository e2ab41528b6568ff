// DescribeLogDirs (key 35): the log directories of a broker and the size on disk of each
// partition in them. Topics null: every partition. v0-v1 (v1 only changes the throttle
// behaviour); v2 is flexible, v3 adds the top-level error code, v4 the directory's total
// and usable bytes.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct DescribeLogDirsRequest {
  struct Topic {
    std::string topic;
    std::vector<int32_t> partitions;
    template <class F>
    void fields(F& f) {
      f(topic);
      f(partitions);
    }
  };
  std::optional<std::vector<Topic>> topics;  // null: all topics
  template <class F>
  void fields(F& f) {
    f(topics);
  }
};

struct DescribeLogDirsResponse {
  struct Partition {
    int32_t partition_index = 0;
    int64_t partition_size = 0;
    int64_t offset_lag = 0;
    bool is_future_key = false;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(partition_size);
      f(offset_lag);
      f(is_future_key);
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
  struct Result {
    int16_t error_code = 0;
    std::string log_dir;
    std::vector<Topic> topics;
    int64_t total_bytes = -1;
    int64_t usable_bytes = -1;
    template <class F>
    void fields(F& f) {
      f(error_code);
      f(log_dir);
      f(topics);
      f(total_bytes, since(4));
      f(usable_bytes, since(4));
    }
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Result> results;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(error_code, since(3));
    f(results);
  }
};

}  // namespace sluice::kafka
