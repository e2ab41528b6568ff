// SaslHandshake (key 17): the broker has no SASL; it answers UNSUPPORTED_SASL_MECHANISM
// with an empty list of enabled mechanisms.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct SaslHandshakeRequest {
  std::string mechanism;
  template <class F>
  void fields(F& f) {
    f(mechanism);
  }
};

struct SaslHandshakeResponse {
  int16_t error_code = 0;
  std::vector<std::string> mechanisms;
  template <class F>
  void fields(F& f) {
    f(error_code);
    f(mechanisms);
  }
};

}  // namespace sluice::kafka
