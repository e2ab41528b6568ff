#include "log/control_record.h"

#include "common/batch_header.h"
#include "common/byte_order.h"

namespace sluice::log {
namespace {

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

std::optional<ControlType> control_type(std::span<const uint8_t> batch) {
  using namespace batch_layout;
  if (batch.size() < kHeaderSize) return std::nullopt;
  BatchHeaderView h(batch.data());
  if (!h.is_control() || h.compression() != 0 || h.total_size() != batch.size() ||
      h.record_count() < 1)
    return std::nullopt;
  const uint8_t* p = batch.data() + kHeaderSize;
  const uint8_t* end = batch.data() + batch.size();
  auto length = read_varlong(p, end, 5);
  if (!length || *length < 1 || *length > end - p) return std::nullopt;
  const uint8_t* record_end = p + *length;
  ++p;  // attributes
  if (!read_varlong(p, record_end, 10) || !read_varlong(p, record_end, 5)) return std::nullopt;
  auto key_length = read_varlong(p, record_end, 5);
  if (!key_length || *key_length < 4 || *key_length > record_end - p) return std::nullopt;
  const int16_t type = load_be<int16_t>(p + 2);
  if (type == 0) return ControlType::kAbort;
  if (type == 1) return ControlType::kCommit;
  return std::nullopt;
}

}  // namespace sluice::log
