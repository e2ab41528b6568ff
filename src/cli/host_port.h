// Parses "host:port", "host" or ":port" into its parts; throws std::invalid_argument with
// a message naming the bad text.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace sluice::cli {

inline std::pair<std::string, uint16_t> parse_host_port(const std::string& text,
                                                        uint16_t default_port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return {text, default_port};
  std::string host = text.substr(0, colon);
  if (host.empty()) host = "127.0.0.1";
  std::string port = text.substr(colon + 1);
  try {
    size_t used = 0;
    int value = std::stoi(port, &used);
    if (used != port.size() || value < 0 || value > 65535) throw std::out_of_range(port);
    return {host, uint16_t(value)};
  } catch (const std::exception&) {
    throw std::invalid_argument("bad port in '" + text + "': expected host:port");
  }
}

}  // namespace sluice::cli
