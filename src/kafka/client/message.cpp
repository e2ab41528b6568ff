#include "kafka/client/message.h"

namespace sluice::kafka::client {

Error Message::error() const {
  if (!raw_ || !raw_->err) return {};
  Error e{raw_->err, {}};
  if (raw_->payload != nullptr) {
    e.message.assign(static_cast<const char*>(raw_->payload), raw_->len);
  } else {
    e.message = rd_kafka_err2str(raw_->err);
  }
  return e;
}

std::string Message::topic() const {
  return raw_->rkt != nullptr ? rd_kafka_topic_name(raw_->rkt) : std::string();
}

std::optional<std::string_view> Message::key() const {
  if (raw_->key == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(raw_->key), raw_->key_len);
}

std::optional<std::string_view> Message::value() const {
  if (raw_->payload == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(raw_->payload), raw_->len);
}

int64_t Message::timestamp() const {
  rd_kafka_timestamp_type_t type;
  return rd_kafka_message_timestamp(raw_.get(), &type);
}

std::string_view Message::timestamp_type() const {
  rd_kafka_timestamp_type_t type;
  rd_kafka_message_timestamp(raw_.get(), &type);
  switch (type) {
    case RD_KAFKA_TIMESTAMP_CREATE_TIME: return "create";
    case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: return "log_append";
    default: return "none";
  }
}

std::vector<HeaderView> Message::headers() const {
  std::vector<HeaderView> out;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(raw_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == 0; ++i) {
    HeaderView h{name, std::nullopt};
    if (value != nullptr) h.value = std::string_view(static_cast<const char*>(value), size);
    out.push_back(h);
  }
  return out;
}

}  // namespace sluice::kafka::client
