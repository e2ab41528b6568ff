// Window assigners put each record into zero or more windows (Flink's WindowAssigner):
//   TumblingEventTimeWindows::of(size[, offset])      fixed, non-overlapping event-time windows
//   TumblingProcessingTimeWindows::of(size[, offset]) the same in processing time
//   SlidingEventTimeWindows::of(size, slide[, offset]) overlapping windows, size/slide per record
//   SlidingProcessingTimeWindows::of(size, slide[, offset])
//   EventTimeSessionWindows::with_gap(gap)            per-key sessions closed by a gap of inactivity
//   ProcessingTimeSessionWindows::with_gap(gap)
//   GlobalWindows::create()                           one window per key; needs a trigger
// Plain values, copied into every subtask of the window operator.
//
// A user assigner is any class with the same members: `using window_type = W;`,
// `template <class T, class Emit> void assign_windows(const T& record, Timestamp timestamp,
// Timestamp processing_time, Emit&& emit) const` calling emit(W) per window,
// `bool is_event_time() const`, `default_trigger()` returning a trigger spec (see
// triggers.h), and, for merging assigners, `static constexpr bool is_merging = true;` with
// `template <class F> void merge_windows(std::vector<W> windows, F&& merge) const` calling
// merge(const std::vector<W>& merged, const W& result) for every group of two or more
// windows that become one.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sluice/time.h"
#include "sluice/triggers.h"
#include "sluice/window.h"

namespace sluice {

namespace detail {

inline Timestamp require_event_timestamp(Timestamp timestamp) {
  if (timestamp == kNoTimestamp)
    throw std::invalid_argument(
        "the record has no event timestamp: give the source a WatermarkStrategy with a timestamp "
        "assigner, or use a processing-time window");
  return timestamp;
}

// Flink's TimeWindow.mergeWindows: sorts by start and merges runs of intersecting windows.
template <class F>
void merge_time_windows(std::vector<TimeWindow> windows, F&& merge) {
  std::sort(windows.begin(), windows.end());
  std::vector<TimeWindow> group;
  TimeWindow cover{};
  auto flush = [&] {
    if (group.size() > 1) merge(group, cover);
  };
  for (const TimeWindow& w : windows) {
    if (!group.empty() && cover.intersects(w)) {
      group.push_back(w);
      cover = cover.cover(w);
    } else {
      flush();
      group.assign(1, w);
      cover = w;
    }
  }
  flush();
}

class TumblingWindows {
 public:
  using window_type = TimeWindow;
  template <class T, class Emit>
  void assign_windows(const T&, Timestamp timestamp, Timestamp now, Emit&& emit) const {
    Timestamp t = event_time_ ? require_event_timestamp(timestamp) : now;
    Timestamp start = window_start_with_offset(t, offset_, size_);
    emit(TimeWindow{start, start + size_});
  }
  bool is_event_time() const { return event_time_; }
  Timestamp size() const { return size_; }
  std::string to_string() const {
    return fmt::format("Tumbling{}TimeWindows({})", event_time_ ? "Event" : "Processing", size_);
  }

 protected:
  TumblingWindows(bool event_time, Duration size, Duration offset)
      : event_time_(event_time), size_(size.count()), offset_(offset.count()) {
    if (size_ <= 0) throw std::invalid_argument("tumbling windows need a size > 0");
    if (offset_ >= size_ || -offset_ >= size_)
      throw std::invalid_argument("tumbling windows need abs(offset) < size");
  }

 private:
  bool event_time_;
  Timestamp size_;
  Timestamp offset_;
};

class SlidingWindows {
 public:
  using window_type = TimeWindow;
  // The windows that hold the record, newest first (as Flink).
  template <class T, class Emit>
  void assign_windows(const T&, Timestamp timestamp, Timestamp now, Emit&& emit) const {
    Timestamp t = event_time_ ? require_event_timestamp(timestamp) : now;
    Timestamp last_start = window_start_with_offset(t, offset_, slide_);
    for (Timestamp start = last_start; start > t - size_; start -= slide_) emit(TimeWindow{start, start + size_});
  }
  bool is_event_time() const { return event_time_; }
  std::string to_string() const {
    return fmt::format("Sliding{}TimeWindows({}, {})", event_time_ ? "Event" : "Processing", size_, slide_);
  }

 protected:
  SlidingWindows(bool event_time, Duration size, Duration slide, Duration offset)
      : event_time_(event_time), size_(size.count()), slide_(slide.count()), offset_(offset.count()) {
    if (size_ <= 0 || slide_ <= 0) throw std::invalid_argument("sliding windows need a size and a slide > 0");
    if (offset_ >= slide_ || -offset_ >= slide_)
      throw std::invalid_argument("sliding windows need abs(offset) < slide");
  }

 private:
  bool event_time_;
  Timestamp size_;
  Timestamp slide_;
  Timestamp offset_;
};

class SessionWindows {
 public:
  using window_type = TimeWindow;
  static constexpr bool is_merging = true;
  template <class T, class Emit>
  void assign_windows(const T&, Timestamp timestamp, Timestamp now, Emit&& emit) const {
    Timestamp t = event_time_ ? require_event_timestamp(timestamp) : now;
    emit(TimeWindow{t, t + gap_});
  }
  template <class F>
  void merge_windows(std::vector<TimeWindow> windows, F&& merge) const {
    merge_time_windows(std::move(windows), merge);
  }
  bool is_event_time() const { return event_time_; }
  std::string to_string() const {
    return fmt::format("{}TimeSessionWindows({})", event_time_ ? "Event" : "Processing", gap_);
  }

 protected:
  SessionWindows(bool event_time, Duration gap) : event_time_(event_time), gap_(gap.count()) {
    if (gap_ <= 0) throw std::invalid_argument("session windows need a gap > 0");
  }

 private:
  bool event_time_;
  Timestamp gap_;
};

}  // namespace detail

class TumblingEventTimeWindows final : public detail::TumblingWindows {
 public:
  static TumblingEventTimeWindows of(Duration size, Duration offset = Duration(0)) {
    return TumblingEventTimeWindows(size, offset);
  }
  EventTimeTrigger default_trigger() const { return {}; }

 private:
  TumblingEventTimeWindows(Duration size, Duration offset) : TumblingWindows(true, size, offset) {}
};

class TumblingProcessingTimeWindows final : public detail::TumblingWindows {
 public:
  static TumblingProcessingTimeWindows of(Duration size, Duration offset = Duration(0)) {
    return TumblingProcessingTimeWindows(size, offset);
  }
  ProcessingTimeTrigger default_trigger() const { return {}; }

 private:
  TumblingProcessingTimeWindows(Duration size, Duration offset) : TumblingWindows(false, size, offset) {}
};

class SlidingEventTimeWindows final : public detail::SlidingWindows {
 public:
  static SlidingEventTimeWindows of(Duration size, Duration slide, Duration offset = Duration(0)) {
    return SlidingEventTimeWindows(size, slide, offset);
  }
  EventTimeTrigger default_trigger() const { return {}; }

 private:
  SlidingEventTimeWindows(Duration size, Duration slide, Duration offset)
      : SlidingWindows(true, size, slide, offset) {}
};

class SlidingProcessingTimeWindows final : public detail::SlidingWindows {
 public:
  static SlidingProcessingTimeWindows of(Duration size, Duration slide, Duration offset = Duration(0)) {
    return SlidingProcessingTimeWindows(size, slide, offset);
  }
  ProcessingTimeTrigger default_trigger() const { return {}; }

 private:
  SlidingProcessingTimeWindows(Duration size, Duration slide, Duration offset)
      : SlidingWindows(false, size, slide, offset) {}
};

class EventTimeSessionWindows final : public detail::SessionWindows {
 public:
  static EventTimeSessionWindows with_gap(Duration gap) { return EventTimeSessionWindows(gap); }
  EventTimeTrigger default_trigger() const { return {}; }

 private:
  explicit EventTimeSessionWindows(Duration gap) : SessionWindows(true, gap) {}
};

class ProcessingTimeSessionWindows final : public detail::SessionWindows {
 public:
  static ProcessingTimeSessionWindows with_gap(Duration gap) { return ProcessingTimeSessionWindows(gap); }
  ProcessingTimeTrigger default_trigger() const { return {}; }

 private:
  explicit ProcessingTimeSessionWindows(Duration gap) : SessionWindows(false, gap) {}
};

// One window per key for all time. Its default trigger never fires: set one (e.g.
// CountTrigger), or use create_with_end_of_stream_trigger() to fire once at the end of a
// bounded input. Counted as event time (late records do not exist for it).
class GlobalWindows final {
 public:
  using window_type = GlobalWindow;
  static GlobalWindows create() { return GlobalWindows(false); }
  static GlobalWindows create_with_end_of_stream_trigger() { return GlobalWindows(true); }
  template <class T, class Emit>
  void assign_windows(const T&, Timestamp, Timestamp, Emit&& emit) const {
    emit(GlobalWindow{});
  }
  bool is_event_time() const { return true; }
  std::string to_string() const { return "GlobalWindows"; }
  bool end_of_stream() const { return end_of_stream_; }

  struct DefaultTrigger {
    bool end_of_stream;
    template <class T, class W>
    TriggerPtr<T, W> make_trigger() const {
      if (end_of_stream) return EndOfStreamTrigger{}.make_trigger<T, W>();
      return NeverTrigger{}.make_trigger<T, W>();
    }
  };
  DefaultTrigger default_trigger() const { return {end_of_stream_}; }

 private:
  explicit GlobalWindows(bool end_of_stream) : end_of_stream_(end_of_stream) {}
  bool end_of_stream_;
};

}  // namespace sluice
