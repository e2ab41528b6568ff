// Kafka's primitive types on the wire: fixed-width big-endian integers, (unsigned) varints,
// strings, bytes, compact (flexible-version) forms and tagged fields.
//
// WireReader decodes from a borrowed buffer and throws DecodeError on any underflow or
// invalid length: a malformed request cannot be answered, so the connection is closed.
// WireWriter appends to owned buffers and can splice in FileRanges (record batches served
// from the log with sendfile); finish() hands back the pieces in order.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/byte_order.h"
#include "common/file_range.h"

namespace sluice::kafka {

/// A request or batch that does not parse. The message says what and where.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WireReader {
 public:
  WireReader(const void* data, size_t size)
      : p_(static_cast<const uint8_t*>(data)), end_(p_ + size) {}
  explicit WireReader(std::string_view s) : WireReader(s.data(), s.size()) {}

  size_t remaining() const { return size_t(end_ - p_); }
  const uint8_t* position() const { return p_; }

  template <class T>
  T fixed() {
    need(sizeof(T));
    T v = load_be<T>(p_);
    p_ += sizeof(T);
    return v;
  }
  int8_t int8() { return fixed<int8_t>(); }
  int16_t int16() { return fixed<int16_t>(); }
  int32_t int32() { return fixed<int32_t>(); }
  int64_t int64() { return fixed<int64_t>(); }
  uint32_t uint32() { return fixed<uint32_t>(); }
  bool boolean() { return int8() != 0; }
  double float64() {
    uint64_t u = fixed<uint64_t>();
    double d;
    std::memcpy(&d, &u, sizeof d);
    return d;
  }

  uint64_t uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1);
      uint8_t b = *p_++;
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    throw DecodeError("varint longer than 10 bytes");
  }
  int64_t varlong() {
    uint64_t u = uvarint();
    return int64_t(u >> 1) ^ -int64_t(u & 1);
  }
  int32_t varint() {
    int64_t v = varlong();
    if (v < INT32_MIN || v > INT32_MAX) throw DecodeError("varint out of int32 range");
    return int32_t(v);
  }

  std::string_view view(size_t n) {
    need(n);
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  void skip(size_t n) { view(n); }

  /// Length of a STRING/BYTES/ARRAY: -1 means null. Compact forms store length+1 as uvarint.
  int64_t length(bool compact, bool is_int16 = false) {
    if (compact) {
      uint64_t n = uvarint();
      if (n > remaining() + 1 && n > 0x7FFFFFFF) throw DecodeError("compact length too large");
      return int64_t(n) - 1;
    }
    return is_int16 ? int64_t(int16()) : int64_t(int32());
  }

  std::optional<std::string_view> nullable_string(bool compact) {
    int64_t n = length(compact, /*is_int16=*/!compact);
    if (n < -1) throw DecodeError("negative string length");
    if (n == -1) return std::nullopt;
    return view(size_t(n));
  }
  std::optional<std::string_view> nullable_bytes(bool compact) {
    int64_t n = length(compact);
    if (n < -1) throw DecodeError("negative bytes length");
    if (n == -1) return std::nullopt;
    return view(size_t(n));
  }

  /// Skips a flexible version's tagged-field section (we keep no unknown tags).
  void skip_tagged_fields() {
    uint64_t count = uvarint();
    for (uint64_t i = 0; i < count; ++i) {
      uvarint();  // tag
      uint64_t size = uvarint();
      if (size > remaining()) throw DecodeError("tagged field longer than the request");
      skip(size_t(size));
    }
  }

 private:
  void need(size_t n) const {
    if (size_t(end_ - p_) < n)
      throw DecodeError("truncated: needed " + std::to_string(n) + " bytes, " +
                        std::to_string(end_ - p_) + " left");
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

/// A piece of an encoded message: bytes we own, or a range of a log file.
using WirePiece = std::variant<std::string, FileRange>;

class WireWriter {
 public:
  size_t size() const { return sealed_size_ + buf_.size(); }

  template <class T>
  void fixed(T v) {
    char tmp[sizeof(T)];
    store_be(tmp, v);
    buf_.append(tmp, sizeof(T));
  }
  void int8(int8_t v) { buf_.push_back(char(v)); }
  void int16(int16_t v) { fixed(v); }
  void int32(int32_t v) { fixed(v); }
  void int64(int64_t v) { fixed(v); }
  void uint32(uint32_t v) { fixed(v); }
  void boolean(bool v) { int8(v ? 1 : 0); }
  void float64(double d) {
    uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    fixed(u);
  }
  void uvarint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(char(v | 0x80));
      v >>= 7;
    }
    buf_.push_back(char(v));
  }
  void varlong(int64_t v) { uvarint((uint64_t(v) << 1) ^ uint64_t(v >> 63)); }
  void varint(int32_t v) { varlong(v); }
  void raw(std::string_view s) { buf_.append(s); }

  void length(int64_t n, bool compact, bool is_int16 = false) {
    if (compact)
      uvarint(uint64_t(n + 1));
    else if (is_int16)
      int16(int16_t(n));
    else
      int32(int32_t(n));
  }
  void nullable_string(const std::optional<std::string_view>& s, bool compact) {
    if (!s) return length(-1, compact, !compact);
    length(int64_t(s->size()), compact, !compact);
    raw(*s);
  }
  void nullable_bytes(const std::optional<std::string_view>& s, bool compact) {
    if (!s) return length(-1, compact);
    length(int64_t(s->size()), compact);
    raw(*s);
  }
  void empty_tagged_fields() { uvarint(0); }

  /// Appends a range of a file without copying it.
  void file_range(FileRange r) {
    seal();
    sealed_size_ += r.length;
    pieces_.emplace_back(std::move(r));
  }

  /// Position in the current (unsealed) buffer, for patch_int32 (e.g. a size prefix).
  size_t mark() const { return buf_.size(); }
  bool mark_valid_for_patch() const { return pieces_.empty(); }
  void patch_int32(size_t mark, int32_t v) { store_be(buf_.data() + mark, v); }
  /// Patches an int32 written before any file range (the frame's size prefix).
  void patch_first_int32(int32_t v) {
    if (pieces_.empty())
      store_be(buf_.data(), v);
    else
      store_be(std::get<std::string>(pieces_.front()).data(), v);
  }

  std::vector<WirePiece> finish() {
    seal();
    sealed_size_ = 0;
    return std::move(pieces_);
  }
  /// For messages with no file ranges: the bytes as one string.
  std::string finish_bytes() {
    auto pieces = finish();
    std::string out;
    for (auto& p : pieces) {
      if (auto* s = std::get_if<std::string>(&p))
        out += *s;
      else
        throw std::logic_error("finish_bytes on a message holding file ranges");
    }
    return out;
  }

 private:
  void seal() {
    if (!buf_.empty()) {
      sealed_size_ += buf_.size();
      pieces_.emplace_back(std::move(buf_));
      buf_.clear();
    }
  }
  std::string buf_;
  size_t sealed_size_ = 0;
  std::vector<WirePiece> pieces_;
};

}  // namespace sluice::kafka
