// DescribeConfigs (key 32): the effective configuration of topics (resource type 2) and
// of the broker (resource type 4).
#pragma once

#include "kafka/protocol/schema.h"

namespace sluice::kafka {

inline constexpr int8_t kResourceTopic = 2;
inline constexpr int8_t kResourceBroker = 4;

// config_source values (v1+).
inline constexpr int8_t kConfigSourceTopic = 1;
inline constexpr int8_t kConfigSourceStaticBroker = 4;
inline constexpr int8_t kConfigSourceDefault = 5;

struct DescribeConfigsRequest {
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys;
    template <class F>
    void fields(F& f) {
      f(resource_type);
      f(resource_name);
      f(configuration_keys);
    }
  };
  std::vector<Resource> resources;
  bool include_synonyms = false;
  bool include_documentation = false;
  template <class F>
  void fields(F& f) {
    f(resources);
    f(include_synonyms, since(1));
    f(include_documentation, since(3));
  }
};

struct DescribeConfigsResponse {
  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
    template <class F>
    void fields(F& f) {
      f(name);
      f(value);
      f(source);
    }
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;
    int8_t config_source = kConfigSourceDefault;
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;
    int8_t config_type = 0;
    std::optional<std::string> documentation;
    template <class F>
    void fields(F& f) {
      f(name);
      f(value);
      f(read_only);
      f(is_default, until(0));
      f(config_source, since(1));
      f(is_sensitive);
      f(synonyms, since(1));
      f(config_type, since(3));
      f(documentation, since(3));
    }
  };
  struct Result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
    template <class F>
    void fields(F& f) {
      f(error_code);
      f(error_message);
      f(resource_type);
      f(resource_name);
      f(configs);
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
