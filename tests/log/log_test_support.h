// Test support for the log: a fresh temp directory per test and a builder of valid
// RecordBatch v2 bytes (header + CRC32C over fake record bytes).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/batch_header.h"
#include "common/byte_order.h"
#include "common/crc32c.h"
#include "common/file_range.h"

namespace sluice::log::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("sluice-log-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct BatchSpec {
  int32_t records = 1;
  int64_t base_timestamp = 1000;
  int64_t max_timestamp = 1000;
  size_t payload_bytes = 100;  // fake record bytes after the header
  uint8_t fill = 0xAB;
  int64_t producer_id = -1;  // idempotent producer fields (see ProducerState)
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
};

/// A well-formed v2 batch with base offset 0 and a correct CRC.
inline std::vector<uint8_t> make_batch(const BatchSpec& spec = {}) {
  using namespace batch_layout;
  std::vector<uint8_t> b(kHeaderSize + spec.payload_bytes, spec.fill);
  uint8_t* p = b.data();
  store_be<int64_t>(p + kBaseOffset, 0);
  store_be<int32_t>(p + kBatchLength, int32_t(b.size() - kLogOverhead));
  store_be<int32_t>(p + kPartitionLeaderEpoch, -1);
  p[kMagic] = 2;
  store_be<int16_t>(p + kAttributes, 0);
  store_be<int32_t>(p + kLastOffsetDelta, spec.records - 1);
  store_be<int64_t>(p + kBaseTimestamp, spec.base_timestamp);
  store_be<int64_t>(p + kMaxTimestamp, spec.max_timestamp);
  store_be<int64_t>(p + kProducerId, spec.producer_id);
  store_be<int16_t>(p + kProducerEpoch, spec.producer_epoch);
  store_be<int32_t>(p + kBaseSequence, spec.base_sequence);
  store_be<int32_t>(p + kRecordCount, spec.records);
  store_be<uint32_t>(p + kCrc, crc32c(p + kAttributes, b.size() - kAttributes));
  return b;
}

inline void put_varint(std::vector<uint8_t>& out, int64_t v) {
  uint64_t z = (uint64_t(v) << 1) ^ uint64_t(v >> 63);
  while (z >= 0x80) {
    out.push_back(uint8_t(z) | 0x80);
    z >>= 7;
  }
  out.push_back(uint8_t(z));
}

/// A v2 batch of real (uncompressed) records: record i has timestamp
/// base_timestamp + timestamp_deltas[i], offset delta i, no key, a 1-byte value.
inline std::vector<uint8_t> make_batch_with_records(int64_t base_timestamp,
                                                    const std::vector<int64_t>& timestamp_deltas,
                                                    int16_t attributes = 0) {
  using namespace batch_layout;
  std::vector<uint8_t> records;
  int64_t max_ts = -1;
  for (size_t i = 0; i < timestamp_deltas.size(); ++i) {
    std::vector<uint8_t> body;
    body.push_back(0);  // attributes
    put_varint(body, timestamp_deltas[i]);
    put_varint(body, int64_t(i));
    put_varint(body, -1);  // null key
    put_varint(body, 1);
    body.push_back(uint8_t('a' + i));
    put_varint(body, 0);  // no headers
    put_varint(records, int64_t(body.size()));
    records.insert(records.end(), body.begin(), body.end());
    max_ts = std::max(max_ts, base_timestamp + timestamp_deltas[i]);
  }
  BatchSpec spec;
  spec.records = int32_t(timestamp_deltas.size());
  spec.base_timestamp = base_timestamp;
  spec.max_timestamp = max_ts;
  spec.payload_bytes = records.size();
  auto b = make_batch(spec);
  std::copy(records.begin(), records.end(), b.begin() + kHeaderSize);
  store_be<int16_t>(b.data() + kAttributes, attributes);
  store_be<uint32_t>(b.data() + kCrc, crc32c(b.data() + kAttributes, b.size() - kAttributes));
  return b;
}

/// Several batches back to back in one buffer.
inline std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& batches) {
  std::vector<uint8_t> out;
  for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
  return out;
}

/// The bytes a FileRange refers to.
inline std::vector<uint8_t> read_range(const FileRange& r) {
  std::vector<uint8_t> out(r.length);
  ssize_t n = ::pread(r.fd, out.data(), out.size(), off_t(r.offset));
  EXPECT_EQ(n, ssize_t(r.length));
  return out;
}

/// The batches (base offset, last offset, size) in a byte buffer.
struct Framed {
  int64_t base_offset;
  int64_t last_offset;
  size_t size;
};
inline std::vector<Framed> frame(const std::vector<uint8_t>& bytes) {
  std::vector<Framed> out;
  for (size_t pos = 0; pos + batch_layout::kHeaderSize <= bytes.size();) {
    BatchHeaderView h(bytes.data() + pos);
    EXPECT_EQ(h.magic(), 2);
    EXPECT_EQ(h.crc(), crc32c(bytes.data() + pos + batch_layout::kAttributes,
                              h.total_size() - batch_layout::kAttributes));
    out.push_back({h.base_offset(), h.last_offset(), h.total_size()});
    pos += h.total_size();
  }
  return out;
}

inline void append_bytes(const std::filesystem::path& file, const std::vector<uint8_t>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace sluice::log::testing
