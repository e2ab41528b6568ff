// CreatePartitions (key 37): raises a topic's partition count.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct CreatePartitionsRequest {
  struct Assignment {
    std::vector<int32_t> broker_ids;
    template <class F>
    void fields(F& f) {
      f(broker_ids);
    }
  };
  struct Topic {
    std::string name;
    int32_t count = 0;
    std::optional<std::vector<Assignment>> assignments;
    template <class F>
    void fields(F& f) {
      f(name);
      f(count);
      f(assignments);
    }
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;
  template <class F>
  void fields(F& f) {
    f(topics);
    f(timeout_ms);
    f(validate_only);
  }
};

struct CreatePartitionsResponse {
  struct Result {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    template <class F>
    void fields(F& f) {
      f(name);
      f(error_code);
      f(error_message);
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<Result> results;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(results);
  }
};

}  // namespace sluice::kafka
