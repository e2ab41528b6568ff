// Handle: one librdkafka client instance (rd_kafka_t) and the callbacks it reports through.
// Owns the rd_kafka_t and destroys it last. Methods may be called from one thread at a time;
// librdkafka's own threads only touch the error state, which is guarded.
// Producer, Consumer and AdminClient each own one Handle; its metadata() and watermarks()
// are what every tool needs whatever the role.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kafka/client/config.h"
#include "kafka/client/metadata.h"

namespace sluice::kafka::client {

class Handle {
 public:
  enum class Role { producer, consumer };
  // Called from poll()/flush() on the caller's thread for every message whose delivery
  // succeeded or finally failed.
  using DeliveryCallback = std::function<void(const rd_kafka_message_t&)>;

  // Creates the client. Unless `-X debug=...` was given, librdkafka's log lines go to
  // spdlog at debug level and errors are remembered for last_error(). Throws ClientError.
  Handle(Config config, Role role, DeliveryCallback on_delivery = {});
  ~Handle();
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  rd_kafka_t* get() const { return rk_; }
  const std::string& bootstrap_servers() const { return bootstrap_; }

  // Metadata of every topic (topic empty) or of one topic. Throws ClientError when no
  // broker answers within the timeout; the message names the servers and the last
  // connection error. An unknown topic is not thrown: it is in TopicInfo::error.
  ClusterMetadata metadata(const std::string& topic, std::chrono::milliseconds timeout);
  // Asks the partition's leader. Throws ClientError on failure.
  Watermarks watermarks(const std::string& topic, int32_t partition,
                        std::chrono::milliseconds timeout);
  // For each partition of `topic` in `partitions`, the first offset whose timestamp is
  // >= timestamp_ms, or -1 when every record is older. Throws ClientError on failure.
  std::vector<int64_t> offsets_for_times(const std::string& topic,
                                         const std::vector<int32_t>& partitions,
                                         int64_t timestamp_ms, std::chrono::milliseconds timeout);

  // The most recent error librdkafka reported in the background (e.g. "Connect to
  // ipv4#127.0.0.1:9092 failed: Connection refused"), or "" if none.
  std::string last_error() const;
  // A sentence for "nothing answered": servers, timeout, last_error().
  std::string unreachable_message(std::chrono::milliseconds timeout) const;
  // A sentence for a request that timed out: unreachable_message() when librdkafka
  // reported connection errors, otherwise that the cluster did not answer `request`.
  std::string timeout_message(const std::string& request, std::chrono::milliseconds timeout) const;

  struct State;  // callback state; public so that the C callbacks can reach it

 private:
  std::unique_ptr<State> state_;
  rd_kafka_t* rk_ = nullptr;
  std::string bootstrap_;
};

}  // namespace sluice::kafka::client
