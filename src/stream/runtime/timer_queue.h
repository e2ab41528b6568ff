// TimerQueue<K, N>: the timers of one keyed operator subtask in one time domain, each a
// (time, key, namespace) triple registered at most once (Flink's InternalTimerService).
// Ordered by time, then key, then namespace, so firing order is deterministic. K and N
// need operator<. Single-threaded: the subtask's thread.
#pragma once

#include <set>
#include <tuple>

#include "sluice/time.h"

namespace sluice::runtime {

// The namespace of plain keyed timers and state (no window).
struct VoidNamespace {
  friend bool operator<(const VoidNamespace&, const VoidNamespace&) { return false; }
  friend bool operator==(const VoidNamespace&, const VoidNamespace&) { return true; }
};

template <class K, class N = VoidNamespace>
class TimerQueue {
 public:
  void add(Timestamp time, const K& key, const N& ns = N{}) { timers_.emplace(time, key, ns); }
  void remove(Timestamp time, const K& key, const N& ns = N{}) { timers_.erase({time, key, ns}); }
  bool empty() const { return timers_.empty(); }
  size_t size() const { return timers_.size(); }
  Timestamp next() const { return timers_.empty() ? kMaxTimestamp : std::get<0>(*timers_.begin()); }

  // Fires, in order, every timer with time <= `until`, including ones that callbacks add
  // at or before `until`. fire(time, key, ns) gets copies: it may add or remove timers.
  template <class Fire>
  void fire_until(Timestamp until, Fire&& fire) {
    while (!timers_.empty() && std::get<0>(*timers_.begin()) <= until) {
      auto node = timers_.extract(timers_.begin());
      auto& [time, key, ns] = node.value();
      fire(time, key, ns);
    }
  }

 private:
  std::set<std::tuple<Timestamp, K, N>> timers_;
};

}  // namespace sluice::runtime
