#include "kafka/client/config.h"

#include <stdexcept>

#include "kafka/client/error.h"

namespace sluice::kafka::client {

Config::Config() : conf_(rd_kafka_conf_new()) {}

Config::Config(const Config& other)
    : conf_(rd_kafka_conf_dup(other.conf_.get())), set_keys_(other.set_keys_) {}

Config& Config::set(const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf_.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    throw ClientError("invalid client property " + key + "=" + value + ": " + errstr,
                      RD_KAFKA_RESP_ERR__INVALID_ARG);
  }
  set_keys_.insert(key);
  return *this;
}

Config& Config::set_default(const std::string& key, const std::string& value) {
  if (!was_set(key)) set(key, value);
  return *this;
}

std::string Config::get(const std::string& key) const {
  char buf[1024];
  size_t size = sizeof buf;
  if (rd_kafka_conf_get(conf_.get(), key.c_str(), buf, &size) != RD_KAFKA_CONF_OK) return {};
  return buf;
}

std::pair<std::string, std::string> parse_assignment(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw std::invalid_argument("expected key=value, got '" + std::string(text) + "'");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::chrono::milliseconds ConnectionOptions::timeout() const {
  return std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000.0));
}

Config ConnectionOptions::make_config() const {
  Config config;
  std::vector<std::pair<std::string, std::string>> user;
  for (const auto& p : properties) user.push_back(parse_assignment(p));
  config.set("bootstrap.servers", bootstrap_servers);
  const auto ms = std::to_string(std::max<int64_t>(timeout().count(), 1));
  config.set("socket.connection.setup.timeout.ms", ms);
  config.set("socket.timeout.ms", std::to_string(std::max<int64_t>(timeout().count(), 10)));
  for (const auto& [k, v] : user) config.set(k, v);
  return config;
}

}  // namespace sluice::kafka::client
