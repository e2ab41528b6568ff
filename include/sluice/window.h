// Windows, the finite buckets a windowed stream groups records into (Flink's Window):
// TimeWindow, a half-open span of event or processing time, and GlobalWindow, the one
// window that holds every record of a key. Plain values, freely copied between threads.
// A window type needs ==, < (timers are ordered by window), std::hash and max_timestamp(),
// the last timestamp that still belongs to it: results of a window carry that timestamp.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>

#include <fmt/format.h>

#include "sluice/serializer.h"
#include "sluice/time.h"

namespace sluice {

// [start, end): end is exclusive, so max_timestamp() is end - 1.
struct TimeWindow {
  Timestamp start = 0;
  Timestamp end = 0;

  Timestamp max_timestamp() const { return end - 1; }
  // Whether the two windows overlap or touch ([0, 5) and [5, 10) do): session windows that
  // intersect are merged, as Flink's TimeWindow.intersects.
  bool intersects(const TimeWindow& other) const { return start <= other.end && end >= other.start; }
  // The smallest window holding both.
  TimeWindow cover(const TimeWindow& other) const {
    return {start < other.start ? start : other.start, end > other.end ? end : other.end};
  }

  friend bool operator==(const TimeWindow&, const TimeWindow&) = default;
  friend auto operator<=>(const TimeWindow&, const TimeWindow&) = default;
};

// The start of the window of `size` (shifted by `offset`) that holds `timestamp`, as Flink's
// TimeWindow.getWindowStartWithOffset; correct for negative timestamps too.
inline Timestamp window_start_with_offset(Timestamp timestamp, Timestamp offset, Timestamp size) {
  Timestamp remainder = (timestamp - offset) % size;
  return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
}

// The single window of GlobalWindows: it never ends, so only a trigger fires it.
struct GlobalWindow {
  Timestamp max_timestamp() const { return kMaxTimestamp; }
  friend bool operator==(const GlobalWindow&, const GlobalWindow&) = default;
  friend auto operator<=>(const GlobalWindow&, const GlobalWindow&) = default;
};

}  // namespace sluice

template <>
struct sluice::Serializer<sluice::GlobalWindow> {
  static void write(StateWriter&, const GlobalWindow&) {}
  static GlobalWindow read(StateReader&) { return {}; }
};

namespace sluice {

// A record with its timestamp, as evictors see a window's contents (Flink's
// TimestampedValue). kNoTimestamp when the record has none.
template <class T>
struct TimestampedValue {
  T value;
  Timestamp timestamp = kNoTimestamp;
  bool has_timestamp() const { return timestamp != kNoTimestamp; }
};

// A key together with one of its windows: the key of per-window state.
template <class K, class W>
struct WindowedKey {
  K key;
  W window;
  friend bool operator==(const WindowedKey&, const WindowedKey&) = default;
};

}  // namespace sluice

template <class K, class W>
struct std::hash<sluice::WindowedKey<K, W>> {
  size_t operator()(const sluice::WindowedKey<K, W>& k) const noexcept {
    return std::hash<K>{}(k.key) * 0x9e3779b97f4a7c15ULL + std::hash<W>{}(k.window);
  }
};

template <>
struct std::hash<sluice::TimeWindow> {
  size_t operator()(const sluice::TimeWindow& w) const noexcept {
    return std::hash<int64_t>{}(w.start) * 31 + std::hash<int64_t>{}(w.end);
  }
};

template <>
struct std::hash<sluice::GlobalWindow> {
  size_t operator()(const sluice::GlobalWindow&) const noexcept { return 0; }
};

template <>
struct fmt::formatter<sluice::TimeWindow> : fmt::formatter<std::string> {
  auto format(const sluice::TimeWindow& w, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "TimeWindow[{}, {})", w.start, w.end);
  }
};

template <>
struct fmt::formatter<sluice::GlobalWindow> : fmt::formatter<std::string> {
  auto format(const sluice::GlobalWindow&, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "GlobalWindow");
  }
};
