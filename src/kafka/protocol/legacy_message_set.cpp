#include "kafka/protocol/legacy_message_set.h"

#include <zlib.h>

#include <optional>
#include <string_view>

#include "common/byte_order.h"
#include "kafka/protocol/compression.h"
#include "kafka/protocol/record_batch.h"
#include "kafka/protocol/wire.h"

namespace sluice::kafka {
namespace {

constexpr size_t kLogOverhead = 12;  // offset + message_size
constexpr size_t kMagicOffset = 16;  // offset, message_size, crc
constexpr size_t kMinMessageV0 = 4 + 1 + 1 + 4 + 4;
constexpr size_t kMinMessageV1 = kMinMessageV0 + 8;
constexpr int8_t kCodecMask = 0x07;
constexpr int8_t kLogAppendTime = 0x08;

/// Why a message set is refused; thrown inside this file only.
struct Refusal {
  ErrorCode error;
  std::string reason;
};

[[noreturn]] void refuse(ErrorCode e, std::string reason) { throw Refusal{e, std::move(reason)}; }

uint32_t crc32_ieee(const uint8_t* p, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    uInt step = uInt(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, p, step);
    p += step;
    n -= step;
  }
  return uint32_t(crc);
}

/// The wrapper an inner message set came from.
struct Wrapper {
  int8_t magic;
  std::optional<int64_t> log_append_time;
};

class Converter {
 public:
  explicit Converter(const LegacyConvertOptions& opts)
      : opts_(opts), budget_(opts.max_decompressed_bytes) {}

  /// Appends the messages of `set` to the batch; `wrapper` is set for inner message sets.
  void message_set(std::string_view set, const std::optional<Wrapper>& wrapper) {
    const std::string where = wrapper ? "inner message " : "message ";
    size_t pos = 0;
    for (int index = 0; pos < set.size(); ++index) {
      std::string at = where + std::to_string(index) + " at byte " + std::to_string(pos) + ": ";
      size_t left = set.size() - pos;
      if (left < kLogOverhead) refuse(ErrorCode::kCorruptMessage, at + "truncated header");
      int32_t size = load_be<int32_t>(set.data() + pos + 8);
      if (size < 0 || size_t(size) < kMinMessageV0)
        refuse(ErrorCode::kCorruptMessage, at + "message size " + std::to_string(size) + " too small");
      if (size_t(size) > left - kLogOverhead)
        refuse(ErrorCode::kCorruptMessage, at + "truncated message");
      try {
        message(set.substr(pos + kLogOverhead, size_t(size)), wrapper);
      } catch (const Refusal& r) {
        throw Refusal{r.error, at + r.reason};
      } catch (const DecodeError& e) {
        throw Refusal{ErrorCode::kCorruptMessage, at + e.what()};
      }
      pos += kLogOverhead + size_t(size);
    }
  }

  LegacyConversion finish() {
    LegacyConversion out;
    if (builder_.record_count() == 0) refuse(ErrorCode::kInvalidRecord, "no messages");
    out.message_count = builder_.record_count();
    out.v2_batch = builder_.build();
    return out;
  }

 private:
  /// One message: [crc, end of message), its size already checked against the set.
  void message(std::string_view m, const std::optional<Wrapper>& wrapper) {
    auto* p = reinterpret_cast<const uint8_t*>(m.data());
    uint32_t crc = load_be<uint32_t>(p);
    int8_t magic = int8_t(p[4]);
    if (magic != 0 && magic != 1) refuse(ErrorCode::kCorruptMessage, "magic " + std::to_string(magic));
    if (magic == 1 && m.size() < kMinMessageV1) refuse(ErrorCode::kCorruptMessage, "message too small");
    if (crc32_ieee(p + 4, m.size() - 4) != crc) refuse(ErrorCode::kCorruptMessage, "CRC mismatch");
    if (wrapper && magic != wrapper->magic)
      refuse(ErrorCode::kInvalidRecord, "inner magic differs from the wrapper's");

    WireReader r(m.substr(5));
    int8_t attributes = r.int8();
    std::optional<int64_t> timestamp;
    if (magic == 1) timestamp = r.int64();
    auto key = r.nullable_bytes(false);
    auto value = r.nullable_bytes(false);
    if (r.remaining() != 0) refuse(ErrorCode::kCorruptMessage, "bytes after the value");

    int codec = attributes & kCodecMask;
    if (codec != 0) {
      if (codec > 3)
        refuse(ErrorCode::kUnsupportedCompressionType, "codec " + std::to_string(codec) + " in a v" +
                                                           std::to_string(magic) + " message");
      if (wrapper) refuse(ErrorCode::kInvalidRecord, "nested compressed message");
      if (!value) refuse(ErrorCode::kInvalidRecord, "compressed wrapper with a null value");
      // Kafka's v0 lz4 wrote a wrong frame header checksum (KAFKA-3160): do not check it.
      std::string inner = decompress(Compression(codec), *value, budget_, Lz4Header::kIgnoreChecksum);
      budget_ -= inner.size();
      if (!codec_) codec_ = Compression(codec);
      Wrapper w{magic, std::nullopt};
      if (magic == 1 && (attributes & kLogAppendTime)) w.log_append_time = *timestamp;
      message_set(inner, w);
      return;
    }
    int64_t ts = opts_.broker_time_ms;
    if (wrapper && wrapper->log_append_time)
      ts = *wrapper->log_append_time;
    else if (timestamp)
      ts = *timestamp;
    if (builder_.record_count() == INT32_MAX) refuse(ErrorCode::kInvalidRecord, "too many messages");
    builder_.add(ts, key, value);
    if (codec_ && opts_.keep_compression) builder_.compression(*codec_);
  }

  const LegacyConvertOptions& opts_;
  size_t budget_;
  std::optional<Compression> codec_;
  RecordBatchBuilder builder_;
};

}  // namespace

bool is_legacy_message_set(std::span<const uint8_t> bytes) {
  return bytes.size() > kMagicOffset && (bytes[kMagicOffset] == 0 || bytes[kMagicOffset] == 1);
}

LegacyConversion convert_legacy_to_v2(std::span<const uint8_t> bytes,
                                      const LegacyConvertOptions& opts) {
  try {
    if (bytes.empty()) refuse(ErrorCode::kInvalidRecord, "empty message set");
    Converter c(opts);
    c.message_set(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                  std::nullopt);
    return c.finish();
  } catch (const Refusal& r) {
    LegacyConversion out;
    out.error = r.error;
    out.reason = r.reason;
    return out;
  } catch (const std::exception& e) {
    LegacyConversion out;
    out.error = ErrorCode::kCorruptMessage;
    out.reason = e.what();
    return out;
  }
}

}  // namespace sluice::kafka
