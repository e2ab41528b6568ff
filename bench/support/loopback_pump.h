// The physical limit of a byte stream on this machine: one thread writes 1 MiB buffers to a
// TCP socket on 127.0.0.1, another reads and discards them, for a fixed wall-clock time.
// A broker that moves records over loopback can at best approach this figure, so the
// benchmarks divide by it. Blocking; runs its two threads and joins them before returning.
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice::bench {

struct PumpResult {
  uint64_t bytes = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // user + system time of the calling process during the pump
  double mb_per_s() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
};

/// Throws std::system_error when a socket call fails.
PumpResult loopback_pump(std::chrono::duration<double> duration, size_t buffer_bytes = 1 << 20);

}  // namespace sluice::bench
