// Serializer<T>: how a value of type T is written into a checkpoint and read back (Flink's
// TypeSerializer). State, keys, timers and window contents are checkpointed through it.
//
// Built in: integers, floating point, bool, enums, std::string, std::vector (Bytes
// included), std::array, std::pair, std::tuple, std::optional, std::map, std::unordered_map,
// std::set, std::unordered_set, and every aggregate (a plain struct without constructors or
// base classes) of up to 16 public fields that are serializable themselves, found by
// structured binding. Any other type specializes the template:
//
//   template <> struct sluice::Serializer<Money> {
//     static void write(sluice::StateWriter& w, const Money& m) { w.i64(m.cents()); }
//     static Money read(sluice::StateReader& r) { return Money::from_cents(r.i64()); }
//   };
//
// The encoding is little-endian with varint lengths; it is part of the checkpoint format
// (docs/checkpoints.md) and changes only with a format version. A reader that runs past
// its input throws CorruptStateError; it never reads out of bounds.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace sluice {

class CorruptStateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Appends to a string. Cheap to construct; the string owns the bytes.
class StateWriter {
 public:
  explicit StateWriter(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  // Zig-zag, so that small negative numbers stay short.
  void svarint(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void i64(int64_t v) { fixed(v); }
  void u32(uint32_t v) { fixed(v); }
  void u64(uint64_t v) { fixed(v); }
  void f64(double v) { fixed(v); }
  void raw(std::string_view bytes) { out_.append(bytes); }
  // A length-prefixed byte string.
  void bytes(std::string_view bytes) {
    varint(bytes.size());
    out_.append(bytes);
  }
  size_t size() const { return out_.size(); }
  std::string& buffer() { return out_; }

 private:
  template <class T>
  void fixed(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
    out_.append(b, sizeof(T));
  }
  std::string& out_;
};

// Reads from a view of bytes that outlives the reader.
class StateReader {
 public:
  explicit StateReader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  uint8_t u8() {
    need(1);
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = u8();
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw CorruptStateError("a varint in the state is longer than 10 bytes");
  }
  int64_t svarint() {
    uint64_t v = varint();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  int64_t i64() { return fixed<int64_t>(); }
  uint32_t u32() { return fixed<uint32_t>(); }
  uint64_t u64() { return fixed<uint64_t>(); }
  double f64() { return fixed<double>(); }
  std::string_view raw(size_t n) {
    need(n);
    std::string_view v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string_view bytes() { return raw(length()); }
  // A count or length, checked against the bytes left so that a corrupt length cannot
  // make a reader reserve gigabytes.
  size_t length() {
    uint64_t n = varint();
    if (n > remaining()) throw CorruptStateError("a length in the state runs past its end");
    return static_cast<size_t>(n);
  }

 private:
  void need(size_t n) const {
    if (n > in_.size() - pos_) throw CorruptStateError("the state ends in the middle of a value");
  }
  template <class T>
  T fixed() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
};

// Undefined unless specialized: the built-in specializations follow.
template <class T, class Enable = void>
struct Serializer;

template <class T>
concept Serializable = requires(StateWriter& w, StateReader& r, const T& v) {
  Serializer<T>::write(w, v);
  { Serializer<T>::read(r) } -> std::convertible_to<T>;
};

template <class T>
void write_value(StateWriter& w, const T& v) { Serializer<T>::write(w, v); }
template <class T>
T read_value(StateReader& r) { return Serializer<T>::read(r); }

template <class T>
struct Serializer<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static void write(StateWriter& w, T v) {
    if constexpr (std::is_signed_v<T>) w.svarint(v); else w.varint(v);
  }
  static T read(StateReader& r) {
    if constexpr (std::is_signed_v<T>) return static_cast<T>(r.svarint()); else return static_cast<T>(r.varint());
  }
};

template <>
struct Serializer<bool> {
  static void write(StateWriter& w, bool v) { w.u8(v ? 1 : 0); }
  static bool read(StateReader& r) { return r.u8() != 0; }
};

template <class T>
struct Serializer<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static void write(StateWriter& w, T v) { w.f64(static_cast<double>(v)); }
  static T read(StateReader& r) { return static_cast<T>(r.f64()); }
};

template <class T>
struct Serializer<T, std::enable_if_t<std::is_enum_v<T>>> {
  using U = std::underlying_type_t<T>;
  static void write(StateWriter& w, T v) { Serializer<U>::write(w, static_cast<U>(v)); }
  static T read(StateReader& r) { return static_cast<T>(Serializer<U>::read(r)); }
};

template <>
struct Serializer<std::string> {
  static void write(StateWriter& w, const std::string& v) { w.bytes(v); }
  static std::string read(StateReader& r) { return std::string(r.bytes()); }
};

namespace detail {

template <class C>
void write_range(StateWriter& w, const C& c) {
  w.varint(c.size());
  for (const auto& v : c) write_value(w, v);
}

}  // namespace detail

template <class T, class A>
struct Serializer<std::vector<T, A>, std::enable_if_t<Serializable<T>>> {
  static void write(StateWriter& w, const std::vector<T, A>& v) {
    if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, char>) {
      w.bytes(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
    } else {
      detail::write_range(w, v);
    }
  }
  static std::vector<T, A> read(StateReader& r) {
    if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, char>) {
      std::string_view b = r.bytes();
      return std::vector<T, A>(b.begin(), b.end());
    } else {
      size_t n = r.length();
      std::vector<T, A> out;
      out.reserve(n);
      for (size_t i = 0; i < n; ++i) out.push_back(read_value<T>(r));
      return out;
    }
  }
};

template <class T, size_t N>
struct Serializer<std::array<T, N>, std::enable_if_t<Serializable<T>>> {
  static void write(StateWriter& w, const std::array<T, N>& v) {
    for (const auto& x : v) write_value(w, x);
  }
  static std::array<T, N> read(StateReader& r) {
    std::array<T, N> out{};
    for (auto& x : out) x = read_value<T>(r);
    return out;
  }
};

template <class A, class B>
struct Serializer<std::pair<A, B>, std::enable_if_t<Serializable<A> && Serializable<B>>> {
  static void write(StateWriter& w, const std::pair<A, B>& v) {
    write_value(w, v.first);
    write_value(w, v.second);
  }
  static std::pair<A, B> read(StateReader& r) {
    A a = read_value<A>(r);
    B b = read_value<B>(r);
    return {std::move(a), std::move(b)};
  }
};

template <class... Ts>
struct Serializer<std::tuple<Ts...>, std::enable_if_t<(Serializable<Ts> && ...)>> {
  static void write(StateWriter& w, const std::tuple<Ts...>& v) {
    std::apply([&](const auto&... x) { (write_value(w, x), ...); }, v);
  }
  static std::tuple<Ts...> read(StateReader& r) {
    return std::tuple<Ts...>{read_value<Ts>(r)...};  // braces: left-to-right order
  }
};

template <class T>
struct Serializer<std::optional<T>, std::enable_if_t<Serializable<T>>> {
  static void write(StateWriter& w, const std::optional<T>& v) {
    w.u8(v ? 1 : 0);
    if (v) write_value(w, *v);
  }
  static std::optional<T> read(StateReader& r) {
    if (!r.u8()) return std::nullopt;
    return read_value<T>(r);
  }
};

namespace detail {

template <class M>
M read_map(StateReader& r) {
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  size_t n = r.length();
  M out;
  for (size_t i = 0; i < n; ++i) {
    K k = read_value<K>(r);
    V v = read_value<V>(r);
    out.emplace(std::move(k), std::move(v));
  }
  return out;
}

template <class M>
void write_map(StateWriter& w, const M& m) {
  w.varint(m.size());
  for (const auto& [k, v] : m) {
    write_value(w, k);
    write_value(w, v);
  }
}

template <class S>
S read_set(StateReader& r) {
  size_t n = r.length();
  S out;
  for (size_t i = 0; i < n; ++i) out.insert(read_value<typename S::key_type>(r));
  return out;
}

}  // namespace detail

template <class K, class V, class C, class A>
struct Serializer<std::map<K, V, C, A>, std::enable_if_t<Serializable<K> && Serializable<V>>> {
  static void write(StateWriter& w, const std::map<K, V, C, A>& m) { detail::write_map(w, m); }
  static std::map<K, V, C, A> read(StateReader& r) { return detail::read_map<std::map<K, V, C, A>>(r); }
};

template <class K, class V, class H, class E, class A>
struct Serializer<std::unordered_map<K, V, H, E, A>, std::enable_if_t<Serializable<K> && Serializable<V>>> {
  using M = std::unordered_map<K, V, H, E, A>;
  static void write(StateWriter& w, const M& m) { detail::write_map(w, m); }
  static M read(StateReader& r) { return detail::read_map<M>(r); }
};

template <class K, class C, class A>
struct Serializer<std::set<K, C, A>, std::enable_if_t<Serializable<K>>> {
  static void write(StateWriter& w, const std::set<K, C, A>& s) { detail::write_range(w, s); }
  static std::set<K, C, A> read(StateReader& r) { return detail::read_set<std::set<K, C, A>>(r); }
};

template <class K, class H, class E, class A>
struct Serializer<std::unordered_set<K, H, E, A>, std::enable_if_t<Serializable<K>>> {
  using S = std::unordered_set<K, H, E, A>;
  static void write(StateWriter& w, const S& s) { detail::write_range(w, s); }
  static S read(StateReader& r) { return detail::read_set<S>(r); }
};

// ---- aggregates, by structured binding ----

namespace detail {

struct AnyField {
  template <class T>
  operator T() const;  // never defined: only used in unevaluated brace-initialization
};

// The number of fields of aggregate T: the largest N for which T{AnyField x N} compiles.
template <class T, class... Fields>
constexpr size_t field_count() {
  if constexpr (sizeof...(Fields) > 16) {
    return 0;
  } else if constexpr (requires { T{Fields{}..., AnyField{}}; }) {
    return field_count<T, Fields..., AnyField>();
  } else {
    return sizeof...(Fields);
  }
}

// Calls f(fields...) with references to v's fields.
template <class T, class F>
decltype(auto) with_fields(T& v, F&& f) {
  constexpr size_t n = field_count<std::remove_const_t<T>>();
#define SLUICE_FIELDS_CASE(N, ...)        \
  if constexpr (n == N) {                  \
    auto& [__VA_ARGS__] = v;               \
    return f(__VA_ARGS__);                 \
  } else
  SLUICE_FIELDS_CASE(1, a1)
  SLUICE_FIELDS_CASE(2, a1, a2)
  SLUICE_FIELDS_CASE(3, a1, a2, a3)
  SLUICE_FIELDS_CASE(4, a1, a2, a3, a4)
  SLUICE_FIELDS_CASE(5, a1, a2, a3, a4, a5)
  SLUICE_FIELDS_CASE(6, a1, a2, a3, a4, a5, a6)
  SLUICE_FIELDS_CASE(7, a1, a2, a3, a4, a5, a6, a7)
  SLUICE_FIELDS_CASE(8, a1, a2, a3, a4, a5, a6, a7, a8)
  SLUICE_FIELDS_CASE(9, a1, a2, a3, a4, a5, a6, a7, a8, a9)
  SLUICE_FIELDS_CASE(10, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)
  SLUICE_FIELDS_CASE(11, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
  SLUICE_FIELDS_CASE(12, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12)
  SLUICE_FIELDS_CASE(13, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13)
  SLUICE_FIELDS_CASE(14, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14)
  SLUICE_FIELDS_CASE(15, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)
  SLUICE_FIELDS_CASE(16, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16)
  {
    static_assert(n >= 1 && n <= 16, "aggregate with 0 or more than 16 fields");
  }
#undef SLUICE_FIELDS_CASE
}

template <class T>
struct is_std_array : std::false_type {};
template <class T, size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
concept PlainAggregate = std::is_aggregate_v<T> && !std::is_array_v<T> && !is_std_array<T>::value &&
                         std::is_default_constructible_v<T> && field_count<T>() >= 1 &&
                         field_count<T>() <= 16;

template <class T>
constexpr bool fields_serializable() {
  if constexpr (!PlainAggregate<T>) {
    return false;
  } else {
    using R = decltype(with_fields(std::declval<T&>(), [](auto&... f) {
      return std::bool_constant<(Serializable<std::remove_cvref_t<decltype(f)>> && ...)>{};
    }));
    return R::value;
  }
}

}  // namespace detail

template <class T>
struct Serializer<T, std::enable_if_t<detail::fields_serializable<T>()>> {
  static void write(StateWriter& w, const T& v) {
    detail::with_fields(v, [&](const auto&... f) { (write_value(w, f), ...); });
  }
  static T read(StateReader& r) {
    T v{};
    detail::with_fields(v, [&](auto&... f) { ((f = read_value<std::remove_cvref_t<decltype(f)>>(r)), ...); });
    return v;
  }
};

}  // namespace sluice
