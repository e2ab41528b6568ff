// LeaveGroup (key 13): one member (v0-2) or several, by member or instance id (v3+),
// leave a group, which then rebalances.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct LeaveGroupRequest {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    template <class F>
    void fields(F& f) {
      f(member_id);
      f(group_instance_id);
    }
  };
  std::string group_id;
  std::string member_id;  // v0-2
  std::vector<Member> members;  // v3+
  template <class F>
  void fields(F& f) {
    f(group_id);
    f(member_id, until(2));
    f(members, since(3));
  }
};

struct LeaveGroupResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    int16_t error_code = 0;
    template <class F>
    void fields(F& f) {
      f(member_id);
      f(group_instance_id);
      f(error_code);
    }
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Member> members;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(1));
    f(error_code);
    f(members, since(3));
  }
};

}  // namespace sluice::kafka
