// ListGroups (key 16): every group the coordinator knows.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct ListGroupsRequest {
  template <class F>
  void fields(F&) {}
};

struct ListGroupsResponse {
  struct Group {
    std::string group_id;
    std::string protocol_type;
    template <class F>
    void fields(F& f) {
      f(group_id);
      f(protocol_type);
    }
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Group> groups;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(1));
    f(error_code);
    f(groups);
  }
};

}  // namespace sluice::kafka
