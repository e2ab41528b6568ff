// EndTxn (key 26): commit (committed = true) or abort a transaction. v0-3, v3 flexible.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct EndTxnRequest {
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  bool committed = false;
  template <class F>
  void fields(F& f) {
    f(transactional_id);
    f(producer_id);
    f(producer_epoch);
    f(committed);
  }
};

struct EndTxnResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(error_code);
  }
};

}  // namespace sluice::kafka
