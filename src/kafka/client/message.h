// Message: one record (or one event such as partition EOF) that a Consumer returned; owns
// the rd_kafka_message_t and destroys it. Views it hands out (key, value, headers) live as
// long as the Message. Move-only; not thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/client/error.h"

namespace sluice::kafka::client {

// A record header as seen on a message. A null header value is std::nullopt.
struct HeaderView {
  std::string_view key;
  std::optional<std::string_view> value;
};

class Message {
 public:
  Message() = default;
  explicit Message(rd_kafka_message_t* raw) : raw_(raw) {}

  // False when poll() timed out without anything.
  explicit operator bool() const { return raw_ != nullptr; }
  // Not an error for records; RD_KAFKA_RESP_ERR__PARTITION_EOF for end-of-partition events.
  Error error() const;
  bool is_partition_eof() const { return raw_ && raw_->err == RD_KAFKA_RESP_ERR__PARTITION_EOF; }

  std::string topic() const;
  int32_t partition() const { return raw_->partition; }
  int64_t offset() const { return raw_->offset; }
  // nullopt for a null key / a null value (tombstone).
  std::optional<std::string_view> key() const;
  std::optional<std::string_view> value() const;
  // Milliseconds since the epoch, or -1 when the record has none.
  int64_t timestamp() const;
  // "create", "log_append" or "none".
  std::string_view timestamp_type() const;
  std::vector<HeaderView> headers() const;

  const rd_kafka_message_t* raw() const { return raw_.get(); }

 private:
  struct Deleter {
    void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
  };
  std::unique_ptr<rd_kafka_message_t, Deleter> raw_;
};

}  // namespace sluice::kafka::client
