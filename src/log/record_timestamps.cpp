#include "log/record_timestamps.h"

#include "common/batch_header.h"

namespace sluice::log {
namespace {

// A zigzag varint of at most `max_bytes` bytes; nullopt when truncated or too long.
std::optional<int64_t> read_varlong(const uint8_t*& p, const uint8_t* end, int max_bytes) {
  uint64_t raw = 0;
  for (int shift = 0, i = 0; i < max_bytes; ++i, shift += 7) {
    if (p == end) return std::nullopt;
    uint8_t byte = *p++;
    raw |= uint64_t(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return int64_t(raw >> 1) ^ -int64_t(raw & 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<RecordTimestamp> first_record_at_or_after(std::span<const uint8_t> batch,
                                                        int64_t ts) {
  using namespace batch_layout;
  if (batch.size() < kHeaderSize) return std::nullopt;
  BatchHeaderView h(batch.data());
  if (h.total_size() != batch.size() || h.compression() != 0) return std::nullopt;
  if (h.attributes() & batch_attributes::kTimestampTypeLogAppend) {
    if (h.max_timestamp() < ts) return std::nullopt;
    return RecordTimestamp{h.base_offset(), h.max_timestamp()};
  }
  const uint8_t* p = batch.data() + kHeaderSize;
  const uint8_t* end = batch.data() + batch.size();
  for (int32_t i = 0; i < h.record_count() && p < end; ++i) {
    auto length = read_varlong(p, end, 5);
    if (!length || *length < 1 || *length > end - p) return std::nullopt;
    const uint8_t* next = p + *length;
    ++p;  // attributes
    auto ts_delta = read_varlong(p, next, 10);
    auto offset_delta = read_varlong(p, next, 5);
    if (!ts_delta || !offset_delta) return std::nullopt;
    const int64_t record_ts = h.base_timestamp() + *ts_delta;
    if (record_ts >= ts) return RecordTimestamp{h.base_offset() + *offset_delta, record_ts};
    p = next;
  }
  return std::nullopt;
}

}  // namespace sluice::log
