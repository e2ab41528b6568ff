#include "log/log_config.h"

#include <charconv>
#include <limits>

namespace sluice::log {
namespace {

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

Status invalid(std::string_view key, std::string_view value, std::string_view accepted) {
  return Status::error(Errc::kInvalidConfig, "invalid value '" + std::string(value) +
                                                 "' for config '" + std::string(key) +
                                                 "': expected " + std::string(accepted));
}

// Sets `field` from an integer in [lo, hi].
template <class Field>
Status set_int(Field& field, std::string_view key, std::string_view value, int64_t lo, int64_t hi,
               std::string_view accepted) {
  auto v = parse_int(value);
  if (!v || *v < lo || *v > hi) return invalid(key, value, accepted);
  field = Field(*v);
  return Status::success();
}

std::optional<std::string> normalize_cleanup_policy(std::string_view value) {
  bool compact = false, remove = false;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string_view item = value.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "compact")
      compact = true;
    else if (item == "delete")
      remove = true;
    else
      return std::nullopt;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (compact && remove) return "compact,delete";
  return compact ? "compact" : "delete";
}

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();

}  // namespace

ParseResult<FlushPolicy> FlushPolicy::parse(std::string_view text) {
  constexpr const char* kAccepted =
      "expected 'every-batch' or an interval such as '50ms' or '1s' (greater than 0)";
  if (text == "every-batch") return ParseResult<FlushPolicy>::value({kEveryBatch, {}});
  int64_t scale = 0;
  std::string_view number;
  if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
    scale = 1;
    number = text.substr(0, text.size() - 2);
  } else if (text.size() > 1 && text.back() == 's') {
    scale = 1000;
    number = text.substr(0, text.size() - 1);
  }
  auto n = scale ? parse_int(number) : std::nullopt;
  if (!n || *n <= 0 || *n > kLongMax / 1000)
    return ParseResult<FlushPolicy>::failure("invalid flush policy '" + std::string(text) +
                                             "': " + kAccepted);
  FlushPolicy policy;
  policy.kind = kInterval;
  policy.interval = std::chrono::milliseconds(*n * scale);
  return ParseResult<FlushPolicy>::value(policy);
}

std::string FlushPolicy::to_string() const {
  if (kind == kEveryBatch) return "every-batch";
  return std::to_string(interval.count()) + "ms";
}

bool LogConfig::deletes_by_retention() const {
  return cleanup_policy.find("delete") != std::string::npos;
}

Status apply_topic_config(LogConfig& config, std::string_view key, std::string_view value) {
  if (key == "retention.ms")
    return set_int(config.retention_ms, key, value, -1, kLongMax,
                   "milliseconds >= 0, or -1 for no time limit");
  if (key == "retention.bytes")
    return set_int(config.retention_bytes, key, value, -1, kLongMax,
                   "bytes >= 0, or -1 for no size limit");
  if (key == "segment.bytes")
    return set_int(config.segment_bytes, key, value, 14, kIntMax, "bytes in [14, 2147483647]");
  if (key == "segment.ms")
    return set_int(config.segment_ms, key, value, 1, kLongMax, "milliseconds >= 1");
  if (key == "max.message.bytes")
    return set_int(config.max_message_bytes, key, value, 0, kIntMax, "bytes in [0, 2147483647]");
  if (key == "index.interval.bytes")
    return set_int(config.index_interval_bytes, key, value, 0, kIntMax, "bytes in [0, 2147483647]");
  if (key == "cleanup.policy") {
    auto policy = normalize_cleanup_policy(value);
    if (!policy) return invalid(key, value, "'delete', 'compact' or 'compact,delete'");
    config.cleanup_policy = *policy;
    return Status::success();
  }
  return Status::error(Errc::kInvalidConfig,
                       "unknown topic config '" + std::string(key) +
                           "': supported are cleanup.policy, index.interval.bytes, "
                           "max.message.bytes, retention.bytes, retention.ms, "
                           "segment.bytes, segment.ms");
}

std::vector<std::pair<std::string, std::string>> topic_config_entries(const LogConfig& config) {
  return {
      {"cleanup.policy", config.cleanup_policy},
      {"index.interval.bytes", std::to_string(config.index_interval_bytes)},
      {"max.message.bytes", std::to_string(config.max_message_bytes)},
      {"retention.bytes", std::to_string(config.retention_bytes)},
      {"retention.ms", std::to_string(config.retention_ms)},
      {"segment.bytes", std::to_string(config.segment_bytes)},
      {"segment.ms", std::to_string(config.segment_ms)},
  };
}

}  // namespace sluice::log
