// AlterConfigs (key 33) replaces a resource's whole set of overrides;
// IncrementalAlterConfigs (key 44) sets, deletes, appends or subtracts single keys.
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

struct AlterConfigsRequest {
  struct Config {
    std::string name;
    std::optional<std::string> value;
    template <class F>
    void fields(F& f) {
      f(name);
      f(value);
    }
  };
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
    template <class F>
    void fields(F& f) {
      f(resource_type);
      f(resource_name);
      f(configs);
    }
  };
  std::vector<Resource> resources;
  bool validate_only = false;
  template <class F>
  void fields(F& f) {
    f(resources);
    f(validate_only);
  }
};

inline constexpr int8_t kConfigOpSet = 0;
inline constexpr int8_t kConfigOpDelete = 1;
inline constexpr int8_t kConfigOpAppend = 2;
inline constexpr int8_t kConfigOpSubtract = 3;

struct IncrementalAlterConfigsRequest {
  struct Config {
    std::string name;
    int8_t config_operation = kConfigOpSet;
    std::optional<std::string> value;
    template <class F>
    void fields(F& f) {
      f(name);
      f(config_operation);
      f(value);
    }
  };
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
    template <class F>
    void fields(F& f) {
      f(resource_type);
      f(resource_name);
      f(configs);
    }
  };
  std::vector<Resource> resources;
  bool validate_only = false;
  template <class F>
  void fields(F& f) {
    f(resources);
    f(validate_only);
  }
};

/// The response of both AlterConfigs and IncrementalAlterConfigs.
struct AlterConfigsResponse {
  struct Result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    template <class F>
    void fields(F& f) {
      f(error_code);
      f(error_message);
      f(resource_type);
      f(resource_name);
    }
  };
  int32_t throttle_time_ms = 0;
  std::vector<Result> responses;
  template <class F>
  void fields(F& f) {
    f(throttle_time_ms);
    f(responses);
  }
};

}  // namespace sluice::kafka
