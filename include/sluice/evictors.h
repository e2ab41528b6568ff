// Evictors remove records from a window's contents when it fires, before and/or after the
// window function runs (Flink's Evictor). A window with an evictor keeps every record
// (with its timestamp) instead of one accumulator, as Flink's EvictingWindowOperator.
//
// An evictor object belongs to one operator subtask and is called from its thread only.
// Built-ins are specs that make an Evictor<T, W> for any record and window type:
//   CountEvictor::of(n[, do_evict_after]), TimeEvictor::of(size[, do_evict_after]).
// A user evictor derives from Evictor<T, W> (copyable) and is passed by value.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "sluice/time.h"
#include "sluice/window.h"

namespace sluice {

template <class T, class W>
class Evictor {
 public:
  class EvictorContext {
   public:
    virtual ~EvictorContext() = default;
    virtual Timestamp current_processing_time() const = 0;
    virtual Timestamp current_watermark() const = 0;
  };
  virtual ~Evictor() = default;
  // `elements` are the window's records in arrival order; erase the ones to evict.
  virtual void evict_before(std::vector<TimestampedValue<T>>& elements, const W& window,
                            const EvictorContext& ctx) = 0;
  virtual void evict_after(std::vector<TimestampedValue<T>>& elements, const W& window,
                           const EvictorContext& ctx) = 0;
  virtual std::string name() const { return "Evictor"; }
};

template <class T, class W>
using EvictorPtr = std::unique_ptr<Evictor<T, W>>;

namespace detail {

template <class T, class W, class Spec>
std::function<EvictorPtr<T, W>()> evictor_factory(Spec spec) {
  if constexpr (std::is_base_of_v<Evictor<T, W>, Spec>) {
    return [spec] { return EvictorPtr<T, W>(std::make_unique<Spec>(spec)); };
  } else {
    return [spec] { return spec.template make_evictor<T, W>(); };
  }
}

template <class T, class W>
class CountEvictorImpl final : public Evictor<T, W> {
 public:
  using Ctx = typename Evictor<T, W>::EvictorContext;
  CountEvictorImpl(int64_t max_count, bool after) : max_count_(max_count), after_(after) {}
  void evict_before(std::vector<TimestampedValue<T>>& e, const W&, const Ctx&) override {
    if (!after_) evict(e);
  }
  void evict_after(std::vector<TimestampedValue<T>>& e, const W&, const Ctx&) override {
    if (after_) evict(e);
  }
  std::string name() const override { return "CountEvictor(" + std::to_string(max_count_) + ")"; }

 private:
  // Keeps the last max_count records.
  void evict(std::vector<TimestampedValue<T>>& e) const {
    if (static_cast<int64_t>(e.size()) <= max_count_) return;
    e.erase(e.begin(), e.begin() + (static_cast<int64_t>(e.size()) - max_count_));
  }
  int64_t max_count_;
  bool after_;
};

template <class T, class W>
class TimeEvictorImpl final : public Evictor<T, W> {
 public:
  using Ctx = typename Evictor<T, W>::EvictorContext;
  TimeEvictorImpl(Duration size, bool after) : size_(size.count()), after_(after) {}
  void evict_before(std::vector<TimestampedValue<T>>& e, const W&, const Ctx&) override {
    if (!after_) evict(e);
  }
  void evict_after(std::vector<TimestampedValue<T>>& e, const W&, const Ctx&) override {
    if (after_) evict(e);
  }
  std::string name() const override { return "TimeEvictor(" + std::to_string(size_) + ")"; }

 private:
  // Keeps the records newer than (largest timestamp - size), as Flink's TimeEvictor.
  void evict(std::vector<TimestampedValue<T>>& e) const {
    if (e.empty() || !e.front().has_timestamp()) return;
    Timestamp max = kMinTimestamp;
    for (auto& v : e) max = std::max(max, v.timestamp);
    Timestamp cutoff = max - size_;
    std::erase_if(e, [&](const TimestampedValue<T>& v) { return v.timestamp <= cutoff; });
  }
  Timestamp size_;
  bool after_;
};

}  // namespace detail

// Keeps at most `max_count` records of a window, dropping the oldest; before the window
// function (default) or after it.
class CountEvictor {
 public:
  static CountEvictor of(int64_t max_count, bool do_evict_after = false) {
    if (max_count < 0) throw std::invalid_argument("CountEvictor::of needs a count >= 0");
    return CountEvictor(max_count, do_evict_after);
  }
  template <class T, class W>
  EvictorPtr<T, W> make_evictor() const { return std::make_unique<detail::CountEvictorImpl<T, W>>(max_count_, after_); }

 private:
  CountEvictor(int64_t max_count, bool after) : max_count_(max_count), after_(after) {}
  int64_t max_count_;
  bool after_;
};

// Keeps the records whose timestamp is within `window_size` of the window's newest record
// (timestamp > newest - window_size); before the window function (default) or after it.
class TimeEvictor {
 public:
  static TimeEvictor of(Duration window_size, bool do_evict_after = false) {
    if (window_size.count() < 0) throw std::invalid_argument("TimeEvictor::of needs a size >= 0");
    return TimeEvictor(window_size, do_evict_after);
  }
  template <class T, class W>
  EvictorPtr<T, W> make_evictor() const { return std::make_unique<detail::TimeEvictorImpl<T, W>>(size_, after_); }

 private:
  TimeEvictor(Duration size, bool after) : size_(size), after_(after) {}
  Duration size_;
  bool after_;
};

}  // namespace sluice
