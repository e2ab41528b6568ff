// CRC32C (Castagnoli), the checksum of Kafka record batches v2. Uses the SSE4.2 crc32
// instruction when the CPU has it, a table-driven fallback otherwise. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice {

/// Extends `crc` (0 to start) with `n` bytes at `data`.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

/// The portable implementation, exposed so tests can compare both paths.
uint32_t crc32c_portable(const void* data, size_t n, uint32_t crc = 0);

}  // namespace sluice
