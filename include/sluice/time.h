// Time in the engine: event and processing timestamps are milliseconds since the Unix
// epoch, as in Kafka and Flink. Watermarks use the same unit; kMinTimestamp means "no
// watermark yet" and kMaxTimestamp is the final watermark of a bounded input.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace sluice {

using Timestamp = int64_t;
using Duration = std::chrono::milliseconds;

inline constexpr Timestamp kMinTimestamp = std::numeric_limits<int64_t>::min();
inline constexpr Timestamp kMaxTimestamp = std::numeric_limits<int64_t>::max();
// A record without a timestamp of its own (e.g. from a collection source).
inline constexpr Timestamp kNoTimestamp = kMinTimestamp;

inline constexpr int64_t to_millis(Duration d) { return d.count(); }

}  // namespace sluice
