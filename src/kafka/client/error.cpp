#include "kafka/client/error.h"

namespace sluice::kafka::client {

std::string Error::name() const {
  std::string n = rd_kafka_err2name(code);
  if (!n.empty() && n.front() == '_') n.erase(0, 1);
  return n;
}

std::string Error::describe() const {
  if (!*this) return "success";
  const std::string text = message.empty() ? rd_kafka_err2str(code) : message;
  return name() + ": " + text;
}

}  // namespace sluice::kafka::client
