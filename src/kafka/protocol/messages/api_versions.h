// ApiVersions (key 18): which versions of which APIs the broker serves.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct ApiVersionsRequest {
  std::string client_software_name;
  std::string client_software_version;
  template <class F>
  void fields(F& f) {
    f(client_software_name, since(3));
    f(client_software_version, since(3));
  }
};

struct ApiVersionsResponse {
  struct ApiVersion {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
    template <class F>
    void fields(F& f) {
      f(api_key);
      f(min_version);
      f(max_version);
    }
  };
  int16_t error_code = 0;
  std::vector<ApiVersion> api_keys;
  int32_t throttle_time_ms = 0;
  template <class F>
  void fields(F& f) {
    f(error_code);
    f(api_keys);
    f(throttle_time_ms, since(1));
  }
};

}  // namespace sluice::kafka
