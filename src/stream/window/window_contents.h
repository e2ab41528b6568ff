// What a window operator keeps per (key, window) and how it evaluates it on a firing
// (Flink's window state: ReducingState, AggregatingState or ListState). One policy per
// kind of windowed stream, a compile-time parameter of WindowOperator so that adding a
// record is an inlined call with no allocation:
//   ReduceContents     one reduced value       (WindowedStream::reduce)
//   AggregateContents  one accumulator         (WindowedStream::aggregate)
//   ListContents       every record            (WindowedStream::process)
//   EvictingContents   every record with its timestamp, evicted on firing, then folded by
//                      one of the above        (any of them with an evictor)
// Each has: State, Result, add(State&, record, timestamp), merge(State& into, State& from)
// (session windows), empty(State), clear(State&) and fire(State&, window, evictor context,
// emit) calling emit(std::span<const Result>). Used by the operator's thread only.
#pragma once

#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "sluice/evictors.h"
#include "sluice/state.h"
#include "sluice/window.h"

namespace sluice::runtime {

// F: T(const T&, const T&).
template <class T, class F>
class ReduceContents {
 public:
  using State = std::optional<T>;
  using Result = T;
  explicit ReduceContents(F f) : f_(std::move(f)) {}

  void add(State& s, const T& value, Timestamp) {
    if (s) *s = f_(*s, value); else s.emplace(value);
  }
  void merge(State& into, State& from) {
    if (!from) return;
    if (into) *into = f_(*into, *from); else into = std::move(from);
  }
  bool empty(const State& s) const { return !s; }
  void clear(State& s) { s.reset(); }
  template <class W, class Ctx, class Emit>
  void fire(State& s, const W&, const Ctx&, Emit&& emit) {
    if (s) emit(std::span<const T>(&*s, 1));
  }

 private:
  F f_;
};

// Agg: a copyable AggregateFunction<In, Acc, Out> subclass.
template <class Agg>
class AggregateContents {
 public:
  using In = typename Agg::input_type;
  using Acc = typename Agg::accumulator_type;
  using State = std::optional<Acc>;
  using Result = typename Agg::output_type;
  explicit AggregateContents(Agg agg) : agg_(std::move(agg)) {}

  void add(State& s, const In& value, Timestamp) {
    if (!s) s.emplace(agg_.create_accumulator());
    agg_.add(value, *s);
  }
  void merge(State& into, State& from) {
    if (!from) return;
    if (into) into = agg_.merge(std::move(*into), *from); else into = std::move(from);
  }
  bool empty(const State& s) const { return !s; }
  void clear(State& s) { s.reset(); }
  template <class W, class Ctx, class Emit>
  void fire(State& s, const W&, const Ctx&, Emit&& emit) {
    if (!s) return;
    Result r = agg_.get_result(*s);
    emit(std::span<const Result>(&r, 1));
  }

 private:
  Agg agg_;
};

template <class T>
class ListContents {
 public:
  using State = std::vector<T>;
  using Result = T;

  void add(State& s, const T& value, Timestamp) { s.push_back(value); }
  void merge(State& into, State& from) {
    if (into.empty()) {
      into = std::move(from);
    } else {
      into.insert(into.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    }
    from.clear();
  }
  bool empty(const State& s) const { return s.empty(); }
  void clear(State& s) { State().swap(s); }
  template <class W, class Ctx, class Emit>
  void fire(State& s, const W&, const Ctx&, Emit&& emit) {
    if (!s.empty()) emit(std::span<const T>(s.data(), s.size()));
  }
};

// Keeps every record; on a firing: evict_before, fold the rest with Inner, emit,
// evict_after, keep what is left (Flink's EvictingWindowOperator).
template <class T, class W, class Inner>
class EvictingContents {
 public:
  using State = std::vector<TimestampedValue<T>>;
  using Result = typename Inner::Result;
  EvictingContents(Inner inner, EvictorPtr<T, W> evictor) : inner_(std::move(inner)), evictor_(std::move(evictor)) {}

  void add(State& s, const T& value, Timestamp timestamp) { s.push_back({value, timestamp}); }
  void merge(State& into, State& from) {
    into.insert(into.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    from.clear();
  }
  bool empty(const State& s) const { return s.empty(); }
  void clear(State& s) { State().swap(s); }
  template <class Ctx, class Emit>
  void fire(State& s, const W& window, const Ctx& ctx, Emit&& emit) {
    evictor_->evict_before(s, window, ctx);
    typename Inner::State folded{};
    for (const auto& v : s) inner_.add(folded, v.value, v.timestamp);
    // When everything was evicted the window emits nothing.
    inner_.fire(folded, window, ctx, emit);
    evictor_->evict_after(s, window, ctx);
  }

 private:
  Inner inner_;
  EvictorPtr<T, W> evictor_;
};

}  // namespace sluice::runtime
