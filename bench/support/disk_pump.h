// The physical limit of appending to a log on this machine: one thread appends 1 MiB buffers
// to a fresh file in a given directory (the broker's data dir, so the same file system) and
// calls fdatasync every `sync_interval` (zero: after every buffer), like the broker's
// --flush policy, for a fixed wall-clock time; the file is removed afterwards. A durable
// produce path can at best approach this figure. Blocking; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "loopback_pump.h"  // PumpResult

namespace sluice::bench {

/// Throws std::system_error when a file call fails (e.g. the disk is full).
PumpResult disk_pump(const std::filesystem::path& dir, std::chrono::duration<double> duration,
                     std::chrono::milliseconds sync_interval, size_t buffer_bytes = 1 << 20);

}  // namespace sluice::bench
