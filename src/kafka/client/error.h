// Errors of the Kafka client wrappers. `Error` is a value (a Kafka error code is data: a
// topic that already exists, an unknown topic); `ClientError` is thrown only where the
// caller cannot go on (invalid configuration, no broker answered within the timeout).
#pragma once

#include <librdkafka/rdkafka.h>

#include <stdexcept>
#include <string>

namespace sluice::kafka::client {

// The outcome of one request or of one item of a request. Default-constructed: success.
struct Error {
  rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string message;  // the broker's or librdkafka's explanation; may be empty

  explicit operator bool() const { return code != RD_KAFKA_RESP_ERR_NO_ERROR; }
  // The Kafka name of the code ("TOPIC_ALREADY_EXISTS"), without librdkafka's underscore.
  std::string name() const;
  // "name: message", or librdkafka's description of the code when message is empty.
  std::string describe() const;
};

class ClientError : public std::runtime_error {
 public:
  explicit ClientError(const std::string& what,
                       rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR__FAIL)
      : std::runtime_error(what), code_(code) {}
  rd_kafka_resp_err_t code() const { return code_; }

 private:
  rd_kafka_resp_err_t code_;
};

}  // namespace sluice::kafka::client
