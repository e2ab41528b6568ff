// TimerQueue<K, N>: the timers of one keyed operator subtask in one time domain, each a
// (time, key, namespace) triple registered at most once (Flink's InternalTimerService).
// Ordered by time, then key, then namespace, so firing order is deterministic. K and N
// need operator<. Single-threaded: the subtask's thread.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <tuple>

#include "sluice/serializer.h"
#include "sluice/time.h"
#include "stream/runtime/key_groups.h"

namespace sluice::runtime {

// The namespace of plain keyed timers and state (no window).
struct VoidNamespace {
  friend bool operator<(const VoidNamespace&, const VoidNamespace&) { return false; }
  friend bool operator==(const VoidNamespace&, const VoidNamespace&) { return true; }
};

}  // namespace sluice::runtime

template <>
struct sluice::Serializer<sluice::runtime::VoidNamespace> {
  static void write(StateWriter&, const runtime::VoidNamespace&) {}
  static runtime::VoidNamespace read(StateReader&) { return {}; }
};

namespace sluice::runtime {

template <class K, class N = VoidNamespace>
class TimerQueue {
 public:
  // insert, not emplace: a timer already there costs no node allocation.
  void add(Timestamp time, const K& key, const N& ns = N{}) { timers_.insert(std::tuple<Timestamp, K, N>(time, key, ns)); }
  void remove(Timestamp time, const K& key, const N& ns = N{}) { timers_.erase({time, key, ns}); }
  bool empty() const { return timers_.empty(); }
  size_t size() const { return timers_.size(); }
  Timestamp next() const { return timers_.empty() ? kMaxTimestamp : std::get<0>(*timers_.begin()); }

  // Checkpoints: every timer, appended to the bytes of its key's key group as (time, key,
  // namespace); restore adds the timers of such bytes.
  void snapshot(std::map<int, std::string>& groups, int max_parallelism) const {
    if constexpr (Serializable<K> && Serializable<N>) {
      for (const auto& [time, key, ns] : timers_) {
        StateWriter w(groups[key_group_of(key, max_parallelism)]);
        w.i64(time);
        write_value(w, key);
        write_value(w, ns);
      }
    } else if (!timers_.empty()) {
      throw std::runtime_error(std::string("timers whose key or window type ") + typeid(K).name() +
                               " cannot be checkpointed: specialize sluice::Serializer for it");
    }
  }
  void restore(std::string_view bytes) {
    if constexpr (Serializable<K> && Serializable<N>) {
      StateReader r(bytes);
      while (!r.done()) {
        Timestamp time = r.i64();
        K key = read_value<K>(r);
        N ns = read_value<N>(r);
        timers_.emplace(time, std::move(key), std::move(ns));
      }
    } else {
      throw std::runtime_error(std::string("timers of key type ") + typeid(K).name() + " cannot be restored");
    }
  }

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
