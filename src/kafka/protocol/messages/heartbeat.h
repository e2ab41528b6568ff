// Heartbeat (key 12): a member tells the coordinator it is alive; the answer says whether
// a rebalance is in progress.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct HeartbeatRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  template <class F>
  void fields(F& f) {
    f(group_id);
    f(generation_id);
    f(member_id);
    f(group_instance_id, since(3));
  }
};

struct HeartbeatResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(1));
    f(error_code);
  }
};

}  // namespace sluice::kafka
