// Config: a librdkafka configuration (rd_kafka_conf_t) being assembled for one client.
// Not thread-safe; owns the rd_kafka_conf_t until release() hands it to rd_kafka_new.
// ConnectionOptions: what every console tool takes on its command line (bootstrap servers,
// `-X key=value` pass-through properties, a timeout) and the Config they produce.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::kafka::client {

class Config {
 public:
  Config();
  Config(const Config& other);
  Config& operator=(const Config&) = delete;
  Config(Config&&) noexcept = default;
  Config& operator=(Config&&) noexcept = default;
  ~Config() = default;

  // Sets one librdkafka property; throws ClientError naming the key when librdkafka rejects
  // the key or the value.
  Config& set(const std::string& key, const std::string& value);
  // Sets a property only if nobody set it before (a default that `-X` may override).
  Config& set_default(const std::string& key, const std::string& value);
  bool was_set(const std::string& key) const { return set_keys_.contains(key); }
  // The current value of a property, or "" when unknown.
  std::string get(const std::string& key) const;

  rd_kafka_conf_t* get() const { return conf_.get(); }
  // Hands the rd_kafka_conf_t to the caller (rd_kafka_new takes ownership on success).
  rd_kafka_conf_t* release() { return conf_.release(); }

 private:
  struct Deleter {
    void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
  };
  std::unique_ptr<rd_kafka_conf_t, Deleter> conf_;
  std::set<std::string> set_keys_;
};

// Splits "key=value" at the first '='; throws std::invalid_argument when there is no '='
// or the key is empty. The value may be empty and may contain '='.
std::pair<std::string, std::string> parse_assignment(std::string_view text);

struct ConnectionOptions {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::vector<std::string> properties;  // "key=value", passed to librdkafka as-is
  double timeout_seconds = 10.0;        // metadata, admin requests, connecting

  std::chrono::milliseconds timeout() const;
  // bootstrap.servers, the timeouts, then every `-X` property (which win over defaults).
  Config make_config() const;
};

}  // namespace sluice::kafka::client
