#include "log/batch_scanner.h"

#include <algorithm>

#include "common/batch_header.h"
#include "common/crc32c.h"

namespace sluice::log {
namespace {
constexpr size_t kChunk = 1 << 20;
}

std::string check_batch_header(const uint8_t* p, size_t available) {
  using namespace batch_layout;
  if (available < kHeaderSize)
    return "incomplete batch header: " + std::to_string(available) + " of " +
           std::to_string(kHeaderSize) + " bytes present";
  BatchHeaderView h(p);
  int32_t length = h.batch_length();
  if (length < int32_t(kHeaderSize - kLogOverhead))
    return "batch length " + std::to_string(length) + " is smaller than a batch header";
  if (h.magic() != 2) return "magic byte " + std::to_string(int(h.magic())) + " is not 2";
  if (h.last_offset_delta() < 0)
    return "negative last offset delta " + std::to_string(h.last_offset_delta());
  if (h.total_size() > available)
    return "incomplete batch: " + std::to_string(available) + " of " +
           std::to_string(h.total_size()) + " bytes present";
  return {};
}

BatchInfo batch_info(const uint8_t* p, uint64_t position) {
  BatchHeaderView h(p);
  return {.position = position,
          .size = uint32_t(h.total_size()),
          .base_offset = h.base_offset(),
          .last_offset = h.last_offset(),
          .max_timestamp = h.max_timestamp(),
          .producer_id = h.producer_id(),
          .producer_epoch = h.producer_epoch(),
          .base_sequence = h.base_sequence(),
          .transactional = h.is_transactional(),
          .control = h.is_control()};
}

BatchScanner::BatchScanner(const FileHandle& file, uint64_t start, uint64_t end, int64_t min_offset,
                           bool verify_crc)
    : file_(file), position_(start), end_(end), min_offset_(min_offset), verify_crc_(verify_crc) {}

bool BatchScanner::ensure(uint64_t pos, size_t n) {
  if (pos >= buf_start_ && pos + n <= buf_start_ + buf_len_) return true;
  size_t want = size_t(std::min<uint64_t>(std::max(n, kChunk), end_ - pos));
  if (buf_.size() < want) buf_.resize(want);
  ssize_t got = pread_full(file_, buf_.data(), want, pos, io_status_);
  if (got < 0) return false;
  buf_start_ = pos;
  buf_len_ = size_t(got);
  return buf_len_ >= n;
}

std::optional<BatchInfo> BatchScanner::next() {
  using namespace batch_layout;
  if (position_ >= end_) return std::nullopt;
  const uint64_t left = end_ - position_;
  size_t header = size_t(std::min<uint64_t>(kHeaderSize, left));
  if (!ensure(position_, header)) {
    if (io_status_.ok())
      problem_ = "file shorter than expected";
    else
      problem_ = io_status_.message;
    return std::nullopt;
  }
  const uint8_t* p = buf_.data() + (position_ - buf_start_);
  // Check the header against what the file holds (not what is buffered).
  size_t available = size_t(std::min<uint64_t>(left, SIZE_MAX));
  if (left < kHeaderSize) {
    problem_ = check_batch_header(p, size_t(left));
    return std::nullopt;
  }
  if (std::string why = check_batch_header(p, available); !why.empty()) {
    problem_ = why;
    return std::nullopt;
  }
  BatchInfo info = batch_info(p, position_);
  if (info.base_offset < min_offset_) {
    problem_ = "batch base offset " + std::to_string(info.base_offset) + " is below the expected " +
               std::to_string(min_offset_);
    return std::nullopt;
  }
  if (verify_crc_) {
    if (!ensure(position_, info.size)) {
      problem_ = io_status_.ok() ? "file shorter than expected" : io_status_.message;
      return std::nullopt;
    }
    p = buf_.data() + (position_ - buf_start_);
    uint32_t actual = crc32c(p + kAttributes, info.size - kAttributes);
    if (actual != BatchHeaderView(p).crc()) {
      problem_ = "CRC mismatch at offset " + std::to_string(info.base_offset);
      return std::nullopt;
    }
  }
  min_offset_ = info.last_offset + 1;
  position_ += info.size;
  return info;
}

}  // namespace sluice::log
