// DescribeGroups (key 15): state, protocol and members of consumer groups.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct DescribeGroupsRequest {
  std::vector<std::string> groups;
  bool include_authorized_operations = false;
  template <class F>
  void fields(F& f) {
    f(groups);
    f(include_authorized_operations, since(3));
  }
};

struct DescribeGroupsResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    Bytes member_metadata;
    Bytes member_assignment;
    template <class F>
    void fields(F& f) {
      f(member_id);
      f(group_instance_id, since(4));
      f(client_id);
      f(client_host);
      f(member_metadata);
      f(member_assignment);
    }
  };
  struct Group {
    int16_t error_code = 0;
    std::string group_id;
    std::string group_state;
    std::string protocol_type;
    std::string protocol_data;
    std::vector<Member> members;
    int32_t authorized_operations = INT32_MIN;
    template <class F>
    void fields(F& f) {
      f(error_code);
      f(group_id);
      f(group_state);
      f(protocol_type);
      f(protocol_data);
      f(members);
      f(authorized_operations, since(3));
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<Group> groups;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(1));
    f(groups);
  }
};

}  // namespace sluice::kafka
