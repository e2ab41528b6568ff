// DescribeTransactions (key 65, KIP-664): the state of transactional ids. v0 (flexible).
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct DescribeTransactionsRequest {
  std::vector<std::string> transactional_ids;
  template <class F>
  void fields(F& f) {
    f(transactional_ids);
  }
};

struct DescribeTransactionsResponse {
  struct Topic {
    std::string topic;
    std::vector<int32_t> partitions;
    template <class F>
    void fields(F& f) {
      f(topic);
      f(partitions);
    }
  };
  struct State {
    int16_t error_code = 0;
    std::string transactional_id;
    std::string transaction_state;
    int32_t transaction_timeout_ms = 0;
    int64_t transaction_start_time_ms = -1;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    std::vector<Topic> topics;
    template <class F>
    void fields(F& f) {
      f(error_code);
      f(transactional_id);
      f(transaction_state);
      f(transaction_timeout_ms);
      f(transaction_start_time_ms);
      f(producer_id);
      f(producer_epoch);
      f(topics);
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<State> transaction_states;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(transaction_states);
  }
};

}  // namespace sluice::kafka
