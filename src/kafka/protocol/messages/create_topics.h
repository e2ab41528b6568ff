// CreateTopics (key 19): new topics with a partition count and config overrides.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct CreatableConfig {
  std::string name;
  std::optional<std::string> value;
  template <class F>
  void fields(F& f) {
    f(name);
    f(value);
  }
};

struct CreateTopicsRequest {
  struct Assignment {
    int32_t partition_index = 0;
    std::vector<int32_t> broker_ids;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(broker_ids);
    }
  };
  struct Topic {
    std::string name;
    int32_t num_partitions = -1;
    int16_t replication_factor = -1;
    std::vector<Assignment> assignments;
    std::vector<CreatableConfig> configs;
    template <class F>
    void fields(F& f) {
      f(name);
      f(num_partitions);
      f(replication_factor);
      f(assignments);
      f(configs);
    }
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;
  template <class F>
  void fields(F& f) {
    f(topics);
    f(timeout_ms);
    f(validate_only, since(1));
  }
};

struct CreateTopicsResponse {
  struct Topic {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    template <class F>
    void fields(F& f) {
      f(name);
      f(error_code);
      f(error_message, since(1));
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
