// Test support for the log: a fresh temp directory per test and a builder of valid
// RecordBatch v2 bytes (header + CRC32C over fake record bytes).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

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
  store_be<int64_t>(p + kProducerId, -1);
  store_be<int16_t>(p + kProducerEpoch, -1);
  store_be<int32_t>(p + kBaseSequence, -1);
  store_be<int32_t>(p + kRecordCount, spec.records);
  store_be<uint32_t>(p + kCrc, crc32c(p + kAttributes, b.size() - kAttributes));
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
