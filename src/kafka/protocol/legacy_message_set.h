// Kafka's legacy message sets (magic v0 and v1), which old producers may still send, and
// their conversion to one magic v2 RecordBatch so that the log holds only v2.
//
// A message set is a sequence of
//   offset int64 | message_size int32 | crc uint32 | magic int8 | attributes int8 |
//   [timestamp int64, v1 only] | key bytes (int32 length, -1 = null) | value bytes
// where crc is the CRC-32 (IEEE, zlib's crc32) of [magic, end of message). A message whose
// attributes name a codec (gzip 1, snappy 2, lz4 3) is a wrapper: its value is a compressed
// message set of inner messages, one level deep.
//
// Pure functions, thread-safe; the result owns its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "kafka/protocol/errors.h"

namespace sluice::kafka {

/// True when `bytes` begins with a v0 or v1 message (its magic byte, at offset 16, is 0 or
/// 1) rather than a v2 batch. Looks at no other byte.
bool is_legacy_message_set(std::span<const uint8_t> bytes);

struct LegacyConvertOptions {
  /// The timestamp given to v0 messages, which have none (the broker's clock, in ms).
  /// Pass -1 to keep Kafka's NO_TIMESTAMP.
  int64_t broker_time_ms = -1;
  /// Limit on the bytes all compressed wrappers may inflate to, together.
  size_t max_decompressed_bytes = 64 * 1024 * 1024;
  /// Compress the v2 batch with the codec of the first wrapper (Kafka keeps the producer's
  /// codec); off, or when nothing was compressed, the batch is uncompressed.
  bool keep_compression = true;
};

/// The outcome of a conversion: a v2 batch (base offset 0, no producer id) or an error.
struct LegacyConversion {
  ErrorCode error = ErrorCode::kNone;
  std::string reason;
  std::string v2_batch;
  int32_t message_count = 0;
  bool ok() const { return error == ErrorCode::kNone; }
};

/// Validates a v0/v1 message set (every CRC, sizes, one level of compression) and converts
/// its messages, in order, to one v2 batch with the same keys, values and timestamps (the
/// wrapper's timestamp for LogAppendTime wrappers, broker_time_ms for v0). Errors:
/// CORRUPT_MESSAGE (bad CRC, truncation, sizes, undecompressable wrapper), INVALID_RECORD
/// (nested or null wrappers, magic mismatch, empty set), UNSUPPORTED_COMPRESSION_TYPE
/// (codec > 3: zstd needs v2). Never throws on bad input; reads only inside `bytes`.
LegacyConversion convert_legacy_to_v2(std::span<const uint8_t> bytes,
                                      const LegacyConvertOptions& opts = {});

}  // namespace sluice::kafka
