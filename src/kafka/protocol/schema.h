// The machinery that lets each Kafka message be described once. A message is a struct
// whose `fields(F& f)` member lists its fields in wire order, each with the versions that
// carry it:
//
//   template <class F> void fields(F& f) {
//     f(transactional_id, since(3));
//     f(acks);
//     f(topics);
//   }
//
// The C++ type of a member chooses its wire type (int16_t → INT16, std::string → STRING or
// COMPACT_STRING, std::vector<T> → ARRAY or COMPACT_ARRAY, a struct with fields() →
// nested struct, ...). Decoder and Encoder walk the same list, so reading and writing can
// never disagree. Flexible versions (KIP-482) switch to compact forms and a tagged-field
// section after every struct; unknown tagged fields are skipped on decode.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/wire.h"

namespace sluice::kafka {

/// An inclusive range of message versions.
struct Versions {
  int16_t min = 0;
  int16_t max = INT16_MAX;
  constexpr bool has(int16_t v) const { return v >= min && v <= max; }
};
constexpr Versions since(int16_t v) { return {v, INT16_MAX}; }
constexpr Versions until(int16_t v) { return {0, v}; }
constexpr Versions between(int16_t a, int16_t b) { return {a, b}; }

/// BYTES / COMPACT_BYTES (a distinct type so it is not mistaken for STRING).
struct Bytes {
  std::string value;
  bool operator==(const Bytes&) const = default;
};

/// A 16-byte UUID (topic ids).
using Uuid = std::array<uint8_t, 16>;

/// The RECORDS field: record-batch bytes. Decoded as a view into the request's buffer
/// (valid while the request is); encoded from owned bytes or from log FileRanges.
struct Records {
  bool is_null = false;
  std::string_view view;             // decode side
  std::vector<WirePiece> pieces;     // encode side, in order
  size_t size() const {
    if (!pieces.empty()) {
      size_t n = 0;
      for (auto& p : pieces)
        n += std::holds_alternative<std::string>(p) ? std::get<std::string>(p).size()
                                                    : std::get<FileRange>(p).length;
      return n;
    }
    return view.size();
  }
};

// A nested struct is any type with a fields() template member.
template <class T>
concept HasFields = requires { &T::template fields<struct FieldsProbe>; };

class Decoder {
 public:
  Decoder(WireReader& r, int16_t version, bool flexible)
      : r_(r), version_(version), flexible_(flexible) {}

  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }

  template <class T>
  void operator()(T& field, Versions v = {}) {
    if (v.has(version_)) read(field);
  }

  template <HasFields T>
  void read_message(T& m) {
    m.fields(*this);
    if (flexible_) r_.skip_tagged_fields();
  }

 private:
  void read(bool& x) { x = r_.boolean(); }
  void read(int8_t& x) { x = r_.int8(); }
  void read(int16_t& x) { x = r_.int16(); }
  void read(int32_t& x) { x = r_.int32(); }
  void read(int64_t& x) { x = r_.int64(); }
  void read(uint32_t& x) { x = r_.uint32(); }
  void read(double& x) { x = r_.float64(); }
  void read(Uuid& x) {
    auto s = r_.view(16);
    std::copy(s.begin(), s.end(), x.begin());
  }
  void read(std::string& x) {
    auto s = r_.nullable_string(flexible_);
    if (!s) throw DecodeError("null in a non-nullable string field");
    x.assign(*s);
  }
  void read(std::optional<std::string>& x) {
    auto s = r_.nullable_string(flexible_);
    if (s)
      x.emplace(*s);
    else
      x.reset();
  }
  void read(Bytes& x) {
    auto s = r_.nullable_bytes(flexible_);
    x.value.assign(s ? *s : std::string_view{});
  }
  void read(std::optional<Bytes>& x) {
    auto s = r_.nullable_bytes(flexible_);
    if (s)
      x.emplace(Bytes{std::string(*s)});
    else
      x.reset();
  }
  void read(Records& x) {
    auto s = r_.nullable_bytes(flexible_);
    x.is_null = !s;
    x.view = s ? *s : std::string_view{};
  }
  template <class T>
  void read(std::vector<T>& x) {
    int64_t n = r_.length(flexible_);
    x.clear();
    if (n < 0) return;  // a null array reads as empty
    // Every element takes at least one byte: a bound against absurd counts.
    if (size_t(n) > r_.remaining()) throw DecodeError("array count larger than the request");
    x.resize(size_t(n));
    for (auto& e : x) read(e);
  }
  template <class T>
  void read(std::optional<std::vector<T>>& x) {
    int64_t n = r_.length(flexible_);
    if (n < 0) {
      x.reset();
      return;
    }
    if (size_t(n) > r_.remaining()) throw DecodeError("array count larger than the request");
    x.emplace(size_t(n));
    for (auto& e : *x) read(e);
  }
  template <HasFields T>
  void read(T& s) {
    read_message(s);
  }

  WireReader& r_;
  int16_t version_;
  bool flexible_;
};

class Encoder {
 public:
  Encoder(WireWriter& w, int16_t version, bool flexible)
      : w_(w), version_(version), flexible_(flexible) {}

  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }

  template <class T>
  void operator()(T& field, Versions v = {}) {
    if (v.has(version_)) write(field);
  }

  template <HasFields T>
  void write_message(T& m) {
    m.fields(*this);
    if (flexible_) w_.empty_tagged_fields();
  }

 private:
  void write(bool x) { w_.boolean(x); }
  void write(int8_t x) { w_.int8(x); }
  void write(int16_t x) { w_.int16(x); }
  void write(int32_t x) { w_.int32(x); }
  void write(int64_t x) { w_.int64(x); }
  void write(uint32_t x) { w_.uint32(x); }
  void write(double x) { w_.float64(x); }
  void write(const Uuid& x) { w_.raw({reinterpret_cast<const char*>(x.data()), x.size()}); }
  void write(const std::string& x) { w_.nullable_string(std::string_view(x), flexible_); }
  void write(const std::optional<std::string>& x) {
    w_.nullable_string(x ? std::optional<std::string_view>(*x) : std::nullopt, flexible_);
  }
  void write(const Bytes& x) { w_.nullable_bytes(std::string_view(x.value), flexible_); }
  void write(const std::optional<Bytes>& x) {
    w_.nullable_bytes(x ? std::optional<std::string_view>(x->value) : std::nullopt, flexible_);
  }
  void write(Records& x) {
    if (x.is_null) return w_.length(-1, flexible_);
    if (x.pieces.empty()) return w_.nullable_bytes(x.view, flexible_);
    w_.length(int64_t(x.size()), flexible_);
    for (auto& p : x.pieces) {
      if (auto* s = std::get_if<std::string>(&p))
        w_.raw(*s);
      else
        w_.file_range(std::get<FileRange>(p));
    }
  }
  template <class T>
  void write(std::vector<T>& x) {
    w_.length(int64_t(x.size()), flexible_);
    for (auto& e : x) write(e);
  }
  template <class T>
  void write(std::optional<std::vector<T>>& x) {
    if (!x) return w_.length(-1, flexible_);
    write(*x);
  }
  template <HasFields T>
  void write(T& s) {
    write_message(s);
  }

  WireWriter& w_;
  int16_t version_;
  bool flexible_;
};

}  // namespace sluice::kafka

namespace sluice::kafka {

/// Decodes one message body of type T at `version`.
template <HasFields T>
T decode_message(WireReader& r, int16_t version, bool flexible) {
  T m;
  Decoder d(r, version, flexible);
  d.read_message(m);
  return m;
}

/// Appends one message body of type T at `version`.
template <HasFields T>
void encode_message(WireWriter& w, T& m, int16_t version, bool flexible) {
  Encoder e(w, version, flexible);
  e.write_message(m);
}

/// A whole response frame: the int32 size prefix, the response header (correlation id and,
/// for header v1, tagged fields) and the body.
template <HasFields T>
std::vector<WirePiece> encode_response_frame(int32_t correlation_id, bool flexible_header,
                                             T& body, int16_t version, bool flexible_body) {
  WireWriter w;
  w.int32(0);  // patched below
  w.int32(correlation_id);
  if (flexible_header) w.empty_tagged_fields();
  encode_message(w, body, version, flexible_body);
  w.patch_first_int32(int32_t(w.size() - 4));
  return w.finish();
}

}  // namespace sluice::kafka
