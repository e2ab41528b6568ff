// JoinGroup (key 11): a member asks to join a consumer group; the coordinator answers
// when the rebalance completes, telling the leader every member's subscription.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct JoinGroupRequest {
  struct Protocol {
    std::string name;
    Bytes metadata;
    template <class F>
    void fields(F& f) {
      f(name);
      f(metadata);
    }
  };
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // v0: the session timeout
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string protocol_type;
  std::vector<Protocol> protocols;
  template <class F>
  void fields(F& f) {
    f(group_id);
    f(session_timeout_ms);
    f(rebalance_timeout_ms, since(1));
    f(member_id);
    f(group_instance_id, since(5));
    f(protocol_type);
    f(protocols);
  }
};

struct JoinGroupResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    Bytes metadata;
    template <class F>
    void fields(F& f) {
      f(member_id);
      f(group_instance_id, since(5));
      f(metadata);
    }
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<Member> members;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms, since(2));
    f(error_code);
    f(generation_id);
    f(protocol_name);
    f(leader);
    f(member_id);
    f(members);
  }
};

}  // namespace sluice::kafka
