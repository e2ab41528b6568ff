// DeleteTopics (key 20): removes topics and their logs.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct DeleteTopicsRequest {
  std::vector<std::string> topic_names;
  int32_t timeout_ms = 60000;
  template <class F>
  void fields(F& f) {
    f(topic_names);
    f(timeout_ms);
  }
};

struct DeleteTopicsResponse {
  struct Result {
    std::string name;
    int16_t error_code = 0;
    template <class F>
    void fields(F& f) {
      f(name);
      f(error_code);
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<Result> responses;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(1));
    f(responses);
  }
};

}  // namespace sluice::kafka
