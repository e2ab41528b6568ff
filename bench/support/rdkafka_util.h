// Shared librdkafka (C API) plumbing for the benchmark drivers: a handle with settings and an
// error_cb that collects errors, and a wait until a topic's metadata shows every partition
// with a leader. Used by kafka_clients.cpp and by benchmarks that drive clients themselves.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sluice::bench {

/// Errors librdkafka reports through error_cb (broker down, all brokers down, fatal...).
/// Filled in by error_cb, which librdkafka serves from the poll calls of the handle's owner.
struct ClientErrors {
  std::vector<std::string> seen;
  bool fatal = false;
  void add(std::string e);
};

/// The error_cb that make_client installs: opaque is a ClientErrors* (or null).
void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque);

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

using KafkaSettings = std::vector<std::pair<std::string, std::string>>;

/// A handle of `type` with `settings`, error_cb reporting into `errors` (may be null; it is
/// the conf's opaque). `configure`, if given, runs on the conf just before rd_kafka_new (for
/// callbacks such as a rebalance_cb; it must not replace the opaque). Throws on bad settings.
KafkaPtr make_client(rd_kafka_type_t type, const KafkaSettings& settings, ClientErrors* errors,
                     const std::function<void(rd_kafka_conf_t*)>& configure = {});

/// Asks for the topic's metadata until every one of `partitions` has a leader.
/// Returns "" when ready, else what was last wrong.
std::string wait_for_metadata(rd_kafka_t* rk, const std::string& topic, int partitions,
                              std::chrono::steady_clock::time_point deadline);

/// "a; b; c"
std::string join(const std::vector<std::string>& v);

}  // namespace sluice::bench
