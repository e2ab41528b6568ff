// The field encoding of the broker's own durable record files (committed offsets,
// transaction state): fixed-width big-endian integers and length-prefixed strings.
// RecordWriter appends to a string; RecordReader reads a record's bytes and throws
// TruncatedRecord when they end early or claim more than they hold (the caller treats the
// record as a torn or corrupt tail). Plain values; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/byte_order.h"

namespace sluice::broker {

struct TruncatedRecord {};

class RecordWriter {
 public:
  template <class T>
  void fixed(T v) {
    char b[sizeof(T)];
    store_be<T>(b, v);
    out.append(b, sizeof(T));
  }
  void str(std::string_view s) {
    fixed<uint32_t>(uint32_t(s.size()));
    out.append(s);
  }
  std::string out;
};

class RecordReader {
 public:
  explicit RecordReader(std::string_view in) : in_(in) {}
  template <class T>
  T fixed() {
    if (in_.size() < sizeof(T)) throw TruncatedRecord{};
    T v = load_be<T>(in_.data());
    in_.remove_prefix(sizeof(T));
    return v;
  }
  std::string str() {
    uint32_t n = fixed<uint32_t>();
    if (in_.size() < n) throw TruncatedRecord{};
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  // An element count, refused when the rest could not hold that many of min_bytes_each.
  uint32_t count(size_t min_bytes_each) {
    uint32_t n = fixed<uint32_t>();
    if (n > in_.size() / min_bytes_each) throw TruncatedRecord{};
    return n;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace sluice::broker
