// Producer: sends records through librdkafka and counts their delivery reports. Owns its
// Handle. Single-threaded: produce(), poll() and flush() run delivery reports on the
// calling thread, so the counts need no locking. Destroying it without flush() abandons
// the records still in flight (librdkafka reports them failed).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/client/config.h"
#include "kafka/client/error.h"
#include "kafka/client/handle.h"

namespace sluice::kafka::client {

struct Header {
  std::string key;
  std::optional<std::string> value;  // nullopt: a null header value
};

// One record to send. The views need only live until produce() returns (it copies).
struct OutgoingRecord {
  std::string_view topic;
  int32_t partition = RD_KAFKA_PARTITION_UA;  // UA: the partitioner chooses (by key)
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  const std::vector<Header>* headers = nullptr;
  int64_t timestamp_ms = 0;  // 0: now
};

struct DeliveryCounts {
  uint64_t delivered = 0;
  uint64_t failed = 0;
  uint64_t delivered_bytes = 0;  // key + value bytes of delivered records
  std::map<std::string, uint64_t> failures;  // Error::describe() -> how many records
};

class Producer {
 public:
  explicit Producer(Config config);

  // Enqueues one record. When librdkafka's queue is full, serves delivery reports until
  // there is room (this is the back-pressure). Returns an error for records librdkafka
  // refuses outright (e.g. unknown partition, message too large); those are not counted
  // as in flight.
  Error produce(const OutgoingRecord& record);
  // Serves delivery reports for up to `timeout`.
  void poll(std::chrono::milliseconds timeout);
  // Waits until every record is delivered or failed; false if some were still in flight
  // when the timeout ran out.
  bool flush(std::chrono::milliseconds timeout);

  const DeliveryCounts& counts() const { return counts_; }
  uint64_t in_flight() const;
  Handle& handle() { return handle_; }

 private:
  void on_delivery(const rd_kafka_message_t& msg);

  DeliveryCounts counts_;
  Handle handle_;
};

}  // namespace sluice::kafka::client
