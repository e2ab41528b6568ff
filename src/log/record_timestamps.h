// Finds, inside one uncompressed RecordBatch v2, the first record whose timestamp is at
// least a given time, by walking the records' varint headers (length, attributes,
// timestamp delta, offset delta). This is what makes ListOffsets by timestamp exact to
// the record, as in Kafka. Compressed batches are not decoded here (the codecs live in
// kafka/protocol, which the log may not use): the caller then falls back to the batch.
// Pure function over bytes the caller owns.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace sluice::log {

struct RecordTimestamp {
  int64_t offset;
  int64_t timestamp;
};

/// The offset and timestamp of the first record of `batch` (a whole v2 batch, header
/// included) with timestamp >= `ts`. With LogAppendTime every record carries the batch's
/// max timestamp, so the first record is the answer. nullopt when the batch is compressed,
/// malformed, or has no such record.
std::optional<RecordTimestamp> first_record_at_or_after(std::span<const uint8_t> batch, int64_t ts);

}  // namespace sluice::log
