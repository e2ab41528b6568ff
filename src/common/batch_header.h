// The fixed 61-byte header of a Kafka RecordBatch (magic v2), as it is on the wire and in
// our segment files. Shared by the protocol (validation on produce) and the log (offset
// assignment, recovery). A BatchHeaderView reads and patches bytes it does not own.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/byte_order.h"

namespace sluice {

namespace batch_layout {
inline constexpr size_t kBaseOffset = 0;
inline constexpr size_t kBatchLength = 8;  // bytes that follow this field
inline constexpr size_t kPartitionLeaderEpoch = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kCrc = 17;  // CRC32C of bytes [kAttributes, end)
inline constexpr size_t kAttributes = 21;
inline constexpr size_t kLastOffsetDelta = 23;
inline constexpr size_t kBaseTimestamp = 27;
inline constexpr size_t kMaxTimestamp = 35;
inline constexpr size_t kProducerId = 43;
inline constexpr size_t kProducerEpoch = 51;
inline constexpr size_t kBaseSequence = 53;
inline constexpr size_t kRecordCount = 57;
inline constexpr size_t kHeaderSize = 61;
inline constexpr size_t kLogOverhead = 12;  // base offset + batch length
}  // namespace batch_layout

namespace batch_attributes {
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kTimestampTypeLogAppend = 0x08;
inline constexpr int16_t kTransactional = 0x10;
inline constexpr int16_t kControl = 0x20;
}  // namespace batch_attributes

/// A view over the header of one batch. The caller guarantees kHeaderSize readable bytes.
class BatchHeaderView {
 public:
  explicit BatchHeaderView(const uint8_t* p) : p_(const_cast<uint8_t*>(p)) {}

  int64_t base_offset() const { return load_be<int64_t>(p_ + batch_layout::kBaseOffset); }
  int32_t batch_length() const { return load_be<int32_t>(p_ + batch_layout::kBatchLength); }
  /// The whole batch's size in bytes, header included.
  size_t total_size() const { return batch_layout::kLogOverhead + size_t(batch_length()); }
  int8_t magic() const { return int8_t(p_[batch_layout::kMagic]); }
  uint32_t crc() const { return load_be<uint32_t>(p_ + batch_layout::kCrc); }
  int16_t attributes() const { return load_be<int16_t>(p_ + batch_layout::kAttributes); }
  int32_t last_offset_delta() const {
    return load_be<int32_t>(p_ + batch_layout::kLastOffsetDelta);
  }
  int64_t last_offset() const { return base_offset() + last_offset_delta(); }
  int64_t base_timestamp() const { return load_be<int64_t>(p_ + batch_layout::kBaseTimestamp); }
  int64_t max_timestamp() const { return load_be<int64_t>(p_ + batch_layout::kMaxTimestamp); }
  int64_t producer_id() const { return load_be<int64_t>(p_ + batch_layout::kProducerId); }
  int16_t producer_epoch() const { return load_be<int16_t>(p_ + batch_layout::kProducerEpoch); }
  int32_t base_sequence() const { return load_be<int32_t>(p_ + batch_layout::kBaseSequence); }
  int32_t record_count() const { return load_be<int32_t>(p_ + batch_layout::kRecordCount); }
  bool is_transactional() const { return attributes() & batch_attributes::kTransactional; }
  bool is_control() const { return attributes() & batch_attributes::kControl; }
  int compression() const { return attributes() & batch_attributes::kCompressionMask; }

  // Patching: base offset and leader epoch are outside the CRC, so they may change freely.
  void set_base_offset(int64_t v) { store_be(p_ + batch_layout::kBaseOffset, v); }
  void set_partition_leader_epoch(int32_t v) {
    store_be(p_ + batch_layout::kPartitionLeaderEpoch, v);
  }

 private:
  uint8_t* p_;
};

}  // namespace sluice
