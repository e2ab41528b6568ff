// DeleteGroups (key 42): removes empty groups and their committed offsets.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct DeleteGroupsRequest {
  std::vector<std::string> groups_names;
  template <class F>
  void fields(F& f) {
    f(groups_names);
  }
};

struct DeleteGroupsResponse {
  struct Result {
    std::string group_id;
    int16_t error_code = 0;
    template <class F>
    void fields(F& f) {
      f(group_id);
      f(error_code);
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
