// InitProducerId (key 22): a producer id and epoch for an idempotent producer (no
// transactional id) or a transactional one. v3+ lets a producer ask to bump its epoch.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct InitProducerIdRequest {
  std::optional<std::string> transactional_id;
  int32_t transaction_timeout_ms = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  template <class F>
  void fields(F& f) {
    f(transactional_id);
    f(transaction_timeout_ms);
    f(producer_id, since(3));
    f(producer_epoch, since(3));
  }
};

struct InitProducerIdResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(error_code);
    f(producer_id);
    f(producer_epoch);
  }
};

}  // namespace sluice::kafka
