#include "kafka/client/producer.h"

#include <thread>

namespace sluice::kafka::client {

Producer::Producer(Config config)
    : handle_(std::move(config), Handle::Role::producer,
              [this](const rd_kafka_message_t& msg) { on_delivery(msg); }) {}

void Producer::on_delivery(const rd_kafka_message_t& msg) {
  if (msg.err) {
    ++counts_.failed;
    ++counts_.failures[Error{msg.err, rd_kafka_err2str(msg.err)}.describe()];
  } else {
    ++counts_.delivered;
    counts_.delivered_bytes += msg.len + msg.key_len;
  }
}

Error Producer::produce(const OutgoingRecord& r) {
  const std::string topic(r.topic);
  void* key = r.key ? const_cast<char*>(r.key->data()) : nullptr;
  const size_t key_len = r.key ? r.key->size() : 0;
  void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
  const size_t value_len = r.value ? r.value->size() : 0;
  for (;;) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (r.headers != nullptr && !r.headers->empty()) {
      hdrs = rd_kafka_headers_new(r.headers->size());
      for (const auto& h : *r.headers) {
        rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()),
                            h.value ? h.value->data() : nullptr,
                            h.value ? static_cast<ssize_t>(h.value->size()) : 0);
      }
    }
    const auto err = rd_kafka_producev(
        handle_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(r.partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE(value, value_len),
        RD_KAFKA_V_TIMESTAMP(r.timestamp_ms), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (!err) return {};
    if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);  // not taken on failure
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return Error{err, rd_kafka_err2str(err)};
    rd_kafka_poll(handle_.get(), 100);
  }
}

void Producer::poll(std::chrono::milliseconds timeout) {
  rd_kafka_poll(handle_.get(), static_cast<int>(timeout.count()));
}

bool Producer::flush(std::chrono::milliseconds timeout) {
  return rd_kafka_flush(handle_.get(), static_cast<int>(timeout.count())) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

uint64_t Producer::in_flight() const { return static_cast<uint64_t>(rd_kafka_outq_len(handle_.get())); }

}  // namespace sluice::kafka::client
