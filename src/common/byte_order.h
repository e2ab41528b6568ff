// Big-endian loads and stores: the byte order of the Kafka protocol and of our on-disk
// record batches. Pure functions on raw memory; the caller guarantees the bounds.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sluice {

/// `v` with its bytes in big-endian order (a no-op on big-endian hosts); its own inverse.
template <class T>
inline T to_from_big_endian(T v) {
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) {
    using U = std::make_unsigned_t<T>;
    U u;
    std::memcpy(&u, &v, sizeof u);
    if constexpr (sizeof(T) == 2) u = __builtin_bswap16(u);
    if constexpr (sizeof(T) == 4) u = __builtin_bswap32(u);
    if constexpr (sizeof(T) == 8) u = __builtin_bswap64(u);
    std::memcpy(&v, &u, sizeof v);
  }
  return v;
}

template <class T>
inline T load_be(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return to_from_big_endian(v);
}

template <class T>
inline void store_be(void* p, T v) {
  v = to_from_big_endian(v);
  std::memcpy(p, &v, sizeof v);
}

}  // namespace sluice
