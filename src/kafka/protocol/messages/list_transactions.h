// ListTransactions (key 66, KIP-664): the transactional ids the coordinator knows,
// optionally filtered by state and producer id. v0 (flexible).
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct ListTransactionsRequest {
  std::vector<std::string> state_filters;
  std::vector<int64_t> producer_id_filters;
  template <class F>
  void fields(F& f) {
    f(state_filters);
    f(producer_id_filters);
  }
};

struct ListTransactionsResponse {
  struct State {
    std::string transactional_id;
    int64_t producer_id = -1;
    std::string transaction_state;
    template <class F>
    void fields(F& f) {
      f(transactional_id);
      f(producer_id);
      f(transaction_state);
    }
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<std::string> unknown_state_filters;
  std::vector<State> transaction_states;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(error_code);
    f(unknown_state_filters);
    f(transaction_states);
  }
};

}  // namespace sluice::kafka
