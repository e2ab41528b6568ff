// The settings of one partition log: Kafka's topic-level configs (retention, segment size
// and age, batch size limit, index density, cleanup policy) plus the broker-wide flush
// policy. A plain value type; the functions below read and write it through Kafka's config
// names ("retention.ms", ...) with Kafka's validation rules.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "log/parse_result.h"
#include "log/status.h"

namespace sluice::log {

/// When appended bytes are forced to disk (fsync) relative to the acknowledgement.
struct FlushPolicy {
  enum Kind { kEveryBatch, kInterval };
  Kind kind = kEveryBatch;
  /// With kInterval: at most this much acknowledged data is at risk on a power loss.
  std::chrono::milliseconds interval{50};

  /// Parses "every-batch", "<n>ms" or "<n>s" (n > 0).
  static ParseResult<FlushPolicy> parse(std::string_view text);
  /// The inverse of parse: "every-batch" or "<n>ms".
  std::string to_string() const;

  bool operator==(const FlushPolicy&) const = default;
};

struct LogConfig {
  int64_t segment_bytes = 1LL << 30;              // segment.bytes (int, >= 14)
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;    // segment.ms (>= 1)
  int64_t retention_bytes = -1;                   // retention.bytes (-1: unlimited)
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;  // retention.ms (-1: unlimited)
  int32_t max_message_bytes = 1048588;            // max.message.bytes: largest batch
  int32_t index_interval_bytes = 4096;            // index.interval.bytes
  /// cleanup.policy: "delete", "compact" or both ("compact,delete"). Retention deletes
  /// segments only when the policy contains "delete"; compaction is not implemented yet,
  /// so a compact-only log keeps everything (no data is ever dropped early).
  std::string cleanup_policy = "delete";
  FlushPolicy flush;  // broker-wide, not a topic config
  /// producer.id.expiration.ms (broker-wide): an idempotent producer id that has not
  /// appended for this long is forgotten by the partition (see ProducerState).
  int64_t producer_id_expiration_ms = 24LL * 3600 * 1000;

  bool deletes_by_retention() const;
  bool operator==(const LogConfig&) const = default;
};

/// Sets one Kafka topic config on `config`. Known keys: retention.ms, retention.bytes,
/// segment.bytes, segment.ms, max.message.bytes, index.interval.bytes, cleanup.policy.
/// On an unknown key or an invalid value `config` is unchanged and the status is
/// kInvalidConfig with a message naming the key, the value and what is accepted.
Status apply_topic_config(LogConfig& config, std::string_view key, std::string_view value);

/// Applies every pair in order; stops at (and returns) the first error, leaving `config`
/// unchanged in that case.
template <class Map>
Status apply_topic_configs(LogConfig& config, const Map& key_values) {
  LogConfig copy = config;
  for (const auto& [key, value] : key_values) {
    Status s = apply_topic_config(copy, key, value);
    if (!s.ok()) return s;
  }
  config = std::move(copy);
  return Status::success();
}

/// The topic configs of `config` as Kafka names and string values, sorted by name, for
/// DescribeConfigs. Every key apply_topic_config accepts appears exactly once.
std::vector<std::pair<std::string, std::string>> topic_config_entries(const LogConfig& config);

}  // namespace sluice::log
