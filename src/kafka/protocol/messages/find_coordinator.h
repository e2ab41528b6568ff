// FindCoordinator (key 10): which broker coordinates a consumer group (key_type 0) or a
// transactional id (key_type 1).
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct FindCoordinatorRequest {
  std::string key;
  int8_t key_type = 0;
  template <class F>
  void fields(F& f) {
    f(key);
    f(key_type, since(1));
  }
};

struct FindCoordinatorResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(1));
    f(error_code);
    f(error_message, since(1));
    f(node_id);
    f(host);
    f(port);
  }
};

}  // namespace sluice::kafka
