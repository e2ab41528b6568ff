// Wall-clock time in Kafka's unit: milliseconds since the Unix epoch (record timestamps,
// retention, log append time). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice {

inline int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice
