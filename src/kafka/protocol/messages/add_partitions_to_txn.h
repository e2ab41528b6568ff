// AddPartitionsToTxn (key 24): a transactional producer adds partitions to its ongoing
// transaction before it produces to them (v0-3; v3 flexible; v4's batched form is not
// served).
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct AddPartitionsToTxnRequest {
  struct Topic {
    std::string name;
    std::vector<int32_t> partitions;
    template <class F>
    void fields(F& f) {
      f(name);
      f(partitions);
    }
  };
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::vector<Topic> topics;
  template <class F>
  void fields(F& f) {
    f(transactional_id);
    f(producer_id);
    f(producer_epoch);
    f(topics);
  }
};

struct AddPartitionsToTxnResponse {
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    template <class F>
    void fields(F& f) {
      f(partition_index);
      f(error_code);
    }
  };
  struct Topic {
    std::string name;
    std::vector<Partition> results;
    template <class F>
    void fields(F& f) {
      f(name);
      f(results);
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> results;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(results);
  }
};

}  // namespace sluice::kafka
