// libFuzzer target: a Produce request's record bytes through everything the broker does
// with them before they reach the log: validate_batches (v2), decode_batch on each piece
// whose length fits, convert_legacy_to_v2 (v0/v1), plus the codecs on raw input. Any input
// must be rejected with an error or accepted: no crash, no out-of-bounds read, no UB, no
// unbounded allocation. It also checks two promises:
//   - a buffer validate_batches accepts decodes with decode_batch, record counts agreeing;
//   - a converted legacy set is a valid v2 batch.
// Each input is also tried with its checksums recomputed, so that mutations reach the code
// behind the CRC checks instead of dying there.
//
// Run: make fuzz && build-fuzz/tests/fuzz/fuzz_batch_validator -max_total_time=300 \
//        -max_len=65536 <corpus dir> tests/fuzz/corpus/batch_validator
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "common/batch_header.h"
#include "common/byte_order.h"
#include "common/crc32c.h"
#include "kafka/protocol/compression.h"
#include "kafka/protocol/legacy_message_set.h"
#include "kafka/protocol/record_batch.h"
#include "kafka/protocol/wire.h"

using namespace sluice;
using namespace sluice::kafka;

namespace {

constexpr size_t kMaxDecompressed = 4 << 20;

[[noreturn]] void broken_promise(const char* what, const std::string& detail) {
  std::fprintf(stderr, "broken promise: %s: %s\n", what, detail.c_str());
  __builtin_trap();
}

/// Calls fn(offset, size) for each whole v2 batch the length fields delimit.
template <class Fn>
void for_each_piece(std::span<const uint8_t> in, Fn&& fn) {
  size_t pos = 0;
  while (in.size() - pos >= batch_layout::kLogOverhead) {
    int32_t len = load_be<int32_t>(in.data() + pos + batch_layout::kBatchLength);
    if (len < 0 || size_t(len) > in.size() - pos - batch_layout::kLogOverhead) return;
    size_t total = batch_layout::kLogOverhead + size_t(len);
    fn(pos, total);
    pos += total;
  }
}

void repair_batch_crcs(std::vector<uint8_t>& b) {
  for_each_piece(b, [&](size_t pos, size_t total) {
    if (total < batch_layout::kHeaderSize) return;
    uint8_t* p = b.data() + pos;
    store_be<uint32_t>(p + batch_layout::kCrc,
                       crc32c(p + batch_layout::kAttributes, total - batch_layout::kAttributes));
  });
}

void repair_legacy_crcs(std::vector<uint8_t>& b) {
  for_each_piece(b, [&](size_t pos, size_t total) {
    if (total < 16) return;
    uint8_t* p = b.data() + pos;
    store_be<uint32_t>(p + 12, uint32_t(crc32(0, p + 16, uInt(total - 16))));
  });
}

void check_batches(std::span<const uint8_t> in) {
  for (bool client : {true, false}) {
    ValidateOptions opts;
    opts.max_batch_bytes = 1 << 20;
    opts.max_decompressed_bytes = kMaxDecompressed;
    opts.client_produce = client;
    BatchValidation v = validate_batches(in, opts);
    if (!v.ok()) continue;
    int64_t records = 0;
    for_each_piece(in, [&](size_t pos, size_t total) {
      try {
        DecodedBatch d = decode_batch(in.subspan(pos, total), kMaxDecompressed);
        if (int64_t(d.records.size()) != d.info.record_count)
          broken_promise("record count", std::to_string(d.records.size()));
        records += int64_t(d.records.size());
      } catch (const DecodeError& e) {
        broken_promise("validated batch does not decode", e.what());
      }
    });
    if (records != v.summary.record_count) broken_promise("summary record count", v.reason);
  }
  // Pieces that validation would reject still must not crash the decoder.
  for_each_piece(in, [&](size_t pos, size_t total) {
    try {
      (void)decode_batch(in.subspan(pos, total), kMaxDecompressed);
    } catch (const DecodeError&) {
    }
  });
}

void check_legacy(std::span<const uint8_t> in) {
  (void)is_legacy_message_set(in);
  LegacyConvertOptions opts;
  opts.broker_time_ms = 1700000000000;
  opts.max_decompressed_bytes = kMaxDecompressed;
  LegacyConversion c = convert_legacy_to_v2(in, opts);
  if (!c.ok()) return;
  auto out = std::span(reinterpret_cast<const uint8_t*>(c.v2_batch.data()), c.v2_batch.size());
  ValidateOptions vo;
  vo.max_batch_bytes = SIZE_MAX;
  vo.max_decompressed_bytes = SIZE_MAX;
  BatchValidation v = validate_batches(out, vo);
  if (!v.ok()) broken_promise("converted legacy set is not a valid batch", v.reason);
  if (v.summary.record_count != c.message_count) broken_promise("converted count", v.reason);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  check_batches(in);
  check_legacy(in);

  std::vector<uint8_t> fixed(data, data + size);
  repair_batch_crcs(fixed);
  check_batches(fixed);
  fixed.assign(data, data + size);
  repair_legacy_crcs(fixed);
  check_legacy(fixed);

  // The codecs alone: first byte picks one, the rest is the compressed stream.
  if (size >= 1) {
    auto codec = Compression(data[0] % 5);
    auto mode = data[0] & 0x80 ? Lz4Header::kIgnoreChecksum : Lz4Header::kStrict;
    try {
      std::string out = decompress(codec, {reinterpret_cast<const char*>(data + 1), size - 1},
                                   kMaxDecompressed, mode);
      if (out.size() > kMaxDecompressed) broken_promise("decompress limit", std::to_string(out.size()));
    } catch (const DecodeError&) {
    }
  }
  return 0;
}
