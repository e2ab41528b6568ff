// SyncGroup (key 14): after JoinGroup, the leader sends the assignment; every member
// receives its own.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct SyncGroupRequest {
  struct Assignment {
    std::string member_id;
    Bytes assignment;
    template <class F>
    void fields(F& f) {
      f(member_id);
      f(assignment);
    }
  };
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<Assignment> assignments;
  template <class F>
  void fields(F& f) {
    f(group_id);
    f(generation_id);
    f(member_id);
    f(group_instance_id, since(3));
    f(assignments);
  }
};

struct SyncGroupResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  Bytes assignment;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(1));
    f(error_code);
    f(assignment);
  }
};

}  // namespace sluice::kafka
