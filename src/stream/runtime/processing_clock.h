// ProcessingClock: the processing time of a job (Flink's ProcessingTimeService clock).
// The wall clock normally; tests use a ManualClock to drive processing-time timers,
// windows and state TTL deterministically. now() may be called from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "common/clock.h"
#include "sluice/time.h"
#include "stream/runtime/task_wakeup.h"

namespace sluice {

class ProcessingClock {
 public:
  virtual ~ProcessingClock() = default;
  virtual Timestamp now() const = 0;
  // Whether time moves by itself (tasks sleep until a timer is due) or only when a test
  // advances it (tasks are woken by the clock).
  virtual bool is_manual() const { return false; }
  virtual void add_listener(runtime::TaskWakeup*) {}
  virtual void remove_listener(runtime::TaskWakeup*) {}
};

class WallClock final : public ProcessingClock {
 public:
  Timestamp now() const override { return wall_clock_ms(); }
};

// Time that moves only when set; every task of a job using it is woken on each move.
class ManualClock final : public ProcessingClock {
 public:
  explicit ManualClock(Timestamp start = 0) : now_(start) {}
  Timestamp now() const override { return now_.load(); }
  bool is_manual() const override { return true; }
  void set(Timestamp t) {
    now_.store(t);
    std::lock_guard lock(mutex_);
    for (auto* w : listeners_) w->notify();
  }
  void advance(Duration d) { set(now_.load() + d.count()); }
  void add_listener(runtime::TaskWakeup* w) override {
    std::lock_guard lock(mutex_);
    listeners_.push_back(w);
  }
  void remove_listener(runtime::TaskWakeup* w) override {
    std::lock_guard lock(mutex_);
    listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), w), listeners_.end());
  }

 private:
  std::atomic<Timestamp> now_;
  std::mutex mutex_;
  std::vector<runtime::TaskWakeup*> listeners_;
};

}  // namespace sluice
