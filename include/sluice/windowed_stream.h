// WindowedStream<K, T, W>: a keyed stream cut into windows (Flink's WindowedStream), made by
// KeyedStream::window(assigner); AllWindowedStream<T, W>: the same over the whole stream in
// one subtask, made by DataStream::window_all(assigner) (Flink's AllWindowedStream).
//
// Configure with trigger(), evictor(), allowed_lateness() and side_output_late_data()
// (each returns a configured copy), then end with one window function, which adds the
// window operator to the job and returns its output stream:
//   reduce(f[, window_function])       f: T(const T&, const T&); one value kept per window
//   aggregate(agg[, window_function])  agg: an AggregateFunction<T, Acc, R>; one accumulator
//   process(window_function)           every record of the window, kept until it fires
//   sum / min / max / min_by / max_by(&T::field)
// A window function is a ProcessWindowFunction<In, Out, K, W> (ProcessAllWindowFunction<In,
// Out, W> for window_all) getting the key, the window and the elements. Results carry the
// window's max_timestamp(). Late records (their windows' end + allowed lateness at or
// before the watermark) are dropped, or sent to the side output named by
// side_output_late_data(tag): read it with result.side_output(tag).
//
// Like DataStream, these are small handles used while building a job on one thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "sluice/data_stream.h"
#include "sluice/evictors.h"
#include "sluice/triggers.h"
#include "sluice/window.h"
#include "sluice/window_assigners.h"
#include "sluice/window_functions.h"
#include "stream/window/window_contents.h"
#include "stream/window/window_operator.h"

namespace sluice {

namespace detail {

// Runs a ProcessAllWindowFunction as the keyed one of window_all's single group.
template <class Fn>
class AllWindowFunctionAdapter final
    : public ProcessWindowFunction<typename Fn::input_type, typename Fn::output_type, AllWindowsKey,
                                   typename Fn::window_type> {
 public:
  using Base = ProcessWindowFunction<typename Fn::input_type, typename Fn::output_type, AllWindowsKey,
                                     typename Fn::window_type>;
  explicit AllWindowFunctionAdapter(Fn fn) : fn_(std::move(fn)) {}
  void open(const SubtaskInfo& info) override { fn_.open(info); }
  void process(const AllWindowsKey&, typename Base::Context& ctx, std::span<const typename Fn::input_type> elements,
               Collector<typename Fn::output_type>& out) override {
    fn_.process(ctx, elements, out);
  }
  void clear(typename Base::Context& ctx) override { fn_.clear(ctx); }
  void close() override { fn_.close(); }

 private:
  Fn fn_;
};

}  // namespace detail

template <class K, class T, class W>
class WindowedStream {
 public:
  using key_type = K;
  using value_type = T;
  using window_type = W;

  WindowedStream(KeyedStream<K, T> input, std::shared_ptr<const runtime::WindowAssignerOps<T, W>> assigner)
      : input_(std::move(input)) {
    spec_.key_of = input_.key_selector();
    spec_.assigner = std::move(assigner);
  }

  // Replaces the assigner's default trigger: a spec (CountTrigger::of(3), ...) or a
  // Trigger<T, W> subclass.
  template <class Tr>
  WindowedStream trigger(Tr t) const {
    WindowedStream copy = *this;
    copy.spec_.make_trigger = detail::trigger_factory<T, W>(std::move(t));
    return copy;
  }
  // Keeps the window's records and evicts some on every firing: a spec
  // (CountEvictor::of(2), TimeEvictor::of(...)) or an Evictor<T, W> subclass.
  template <class E>
  WindowedStream evictor(E e) const {
    WindowedStream copy = *this;
    copy.spec_.make_evictor = detail::evictor_factory<T, W>(std::move(e));
    return copy;
  }
  // Event-time windows keep their state this long after the watermark passes their end;
  // a record arriving meanwhile updates the window and fires it again. Default 0.
  WindowedStream allowed_lateness(Duration lateness) const {
    if (lateness.count() < 0) throw std::invalid_argument("allowed_lateness must be >= 0");
    WindowedStream copy = *this;
    copy.spec_.allowed_lateness = lateness;
    return copy;
  }
  // Records too late for all their windows go to this side output instead of being dropped.
  WindowedStream side_output_late_data(const OutputTag<T>& tag) const {
    WindowedStream copy = *this;
    copy.spec_.late_tag = tag.id();
    return copy;
  }

  // f: T(const T&, const T&), combining two records of a window into one.
  template <class F>
  DataStream<T> reduce(F f) const {
    return build<T, false>("reduce", runtime::ReduceContents<T, F>(f), [] { return nullptr; });
  }
  // The reduced value of each firing, handed to fn (a ProcessWindowFunction<T, Out, K, W>).
  template <class F, class Fn>
  DataStream<typename Fn::output_type> reduce(F f, Fn fn) const {
    using Out = typename Fn::output_type;
    static_assert(std::is_base_of_v<ProcessWindowFunction<T, Out, K, W>, Fn>,
                  "reduce(f, fn) takes a ProcessWindowFunction<T, Out, K, W>");
    return build<Out, true>("reduce", runtime::ReduceContents<T, F>(f), [fn] { return std::make_unique<Fn>(fn); });
  }
  // agg: a copyable AggregateFunction<T, Acc, R> subclass; emits R per firing.
  template <class Agg>
  DataStream<typename Agg::output_type> aggregate(Agg agg) const {
    check_aggregate<Agg>();
    return build<typename Agg::output_type, false>("aggregate", runtime::AggregateContents<Agg>(agg),
                                                   [] { return nullptr; });
  }
  // The aggregate's result of each firing, handed to fn (a ProcessWindowFunction<R, Out, K, W>).
  template <class Agg, class Fn>
  DataStream<typename Fn::output_type> aggregate(Agg agg, Fn fn) const {
    check_aggregate<Agg>();
    using Out = typename Fn::output_type;
    static_assert(std::is_base_of_v<ProcessWindowFunction<typename Agg::output_type, Out, K, W>, Fn>,
                  "aggregate(agg, fn) takes a ProcessWindowFunction<R, Out, K, W>, R the aggregate's result");
    return build<Out, true>("aggregate", runtime::AggregateContents<Agg>(agg),
                            [fn] { return std::make_unique<Fn>(fn); });
  }
  // fn: a copyable ProcessWindowFunction<T, Out, K, W>; gets every record of the window.
  template <class Fn>
  DataStream<typename Fn::output_type> process(Fn fn) const {
    using Out = typename Fn::output_type;
    static_assert(std::is_base_of_v<ProcessWindowFunction<T, Out, K, W>, Fn>,
                  "process() takes a ProcessWindowFunction<T, Out, K, W>");
    return build<Out, true>("process", runtime::ListContents<T>(), [fn] { return std::make_unique<Fn>(fn); });
  }

  // Aggregates of one field per window; the other fields are those of the window's first
  // record (sum, min, max) or of the record holding the extreme value (min_by, max_by).
  template <class M, class C = T>
  DataStream<T> sum(M C::*field) const {
    return reduce([field](const T& a, const T& b) { T r = a; r.*field = a.*field + b.*field; return r; });
  }
  template <class M, class C = T>
  DataStream<T> min(M C::*field) const {
    return reduce([field](const T& a, const T& b) { T r = a; if (b.*field < a.*field) r.*field = b.*field; return r; });
  }
  template <class M, class C = T>
  DataStream<T> max(M C::*field) const {
    return reduce([field](const T& a, const T& b) { T r = a; if (a.*field < b.*field) r.*field = b.*field; return r; });
  }
  template <class M, class C = T>
  DataStream<T> min_by(M C::*field) const {
    return reduce([field](const T& a, const T& b) { return b.*field < a.*field ? b : a; });
  }
  template <class M, class C = T>
  DataStream<T> max_by(M C::*field) const {
    return reduce([field](const T& a, const T& b) { return a.*field < b.*field ? b : a; });
  }

  // On a stream of plain numbers: the window's sum, minimum or maximum.
  DataStream<T> sum() const requires std::is_arithmetic_v<T> {
    return reduce([](const T& a, const T& b) { return a + b; });
  }
  DataStream<T> min() const requires std::is_arithmetic_v<T> {
    return reduce([](const T& a, const T& b) { return b < a ? b : a; });
  }
  DataStream<T> max() const requires std::is_arithmetic_v<T> {
    return reduce([](const T& a, const T& b) { return a < b ? b : a; });
  }

  const runtime::WindowSpec<K, T, W>& spec() const { return spec_; }

 private:
  template <class Agg>
  static void check_aggregate() {
    using Base = AggregateFunction<typename Agg::input_type, typename Agg::accumulator_type, typename Agg::output_type>;
    static_assert(std::is_base_of_v<Base, Agg>, "aggregate() takes an AggregateFunction<T, Acc, R> subclass");
    static_assert(std::is_same_v<typename Agg::input_type, T>, "the AggregateFunction's input must be the stream's type");
  }

  template <class Out, bool kFunction, class Contents, class MakeFunction>
  DataStream<Out> build(const std::string& function_name, Contents contents, MakeFunction make_function) const {
    using Function = ProcessWindowFunction<typename Contents::Result, Out, K, W>;
    auto spec = spec_;
    auto trigger_name = (spec.make_trigger ? spec.make_trigger() : spec.assigner->default_trigger()())->name();
    std::string name = "Window(" + spec.assigner->describe() + ", " + trigger_name;
    if (spec.make_evictor) name += ", " + spec.make_evictor()->name();
    name += ", " + function_name + ")";
    return input_.template keyed_operator<Out>(
        "window", name, [spec, contents, make_function](const SubtaskInfo&) -> std::unique_ptr<runtime::StreamOperator> {
          std::unique_ptr<Function> function(make_function());
          if (spec.make_evictor) {
            using Evicting = runtime::EvictingContents<T, W, Contents>;
            return std::make_unique<runtime::WindowOperator<K, T, W, Evicting, Out, kFunction>>(
                spec, Evicting(contents, spec.make_evictor()), std::move(function));
          }
          return std::make_unique<runtime::WindowOperator<K, T, W, Contents, Out, kFunction>>(spec, contents,
                                                                                          std::move(function));
        });
  }

  KeyedStream<K, T> input_;
  runtime::WindowSpec<K, T, W> spec_;
};

template <class T, class W>
class AllWindowedStream {
 public:
  using value_type = T;
  using window_type = W;

  explicit AllWindowedStream(WindowedStream<AllWindowsKey, T, W> keyed) : keyed_(std::move(keyed)) {}

  template <class Tr>
  AllWindowedStream trigger(Tr t) const { return AllWindowedStream(keyed_.trigger(std::move(t))); }
  template <class E>
  AllWindowedStream evictor(E e) const { return AllWindowedStream(keyed_.evictor(std::move(e))); }
  AllWindowedStream allowed_lateness(Duration lateness) const {
    return AllWindowedStream(keyed_.allowed_lateness(lateness));
  }
  AllWindowedStream side_output_late_data(const OutputTag<T>& tag) const {
    return AllWindowedStream(keyed_.side_output_late_data(tag));
  }

  template <class F>
  DataStream<T> reduce(F f) const { return single(keyed_.reduce(std::move(f))); }
  // fn: a ProcessAllWindowFunction<T, Out, W>.
  template <class F, class Fn>
  DataStream<typename Fn::output_type> reduce(F f, Fn fn) const {
    return single(keyed_.reduce(std::move(f), detail::AllWindowFunctionAdapter<Fn>(std::move(fn))));
  }
  template <class Agg>
  DataStream<typename Agg::output_type> aggregate(Agg agg) const { return single(keyed_.aggregate(std::move(agg))); }
  // fn: a ProcessAllWindowFunction<R, Out, W>, R the aggregate's result.
  template <class Agg, class Fn>
  DataStream<typename Fn::output_type> aggregate(Agg agg, Fn fn) const {
    return single(keyed_.aggregate(std::move(agg), detail::AllWindowFunctionAdapter<Fn>(std::move(fn))));
  }
  // fn: a ProcessAllWindowFunction<T, Out, W>.
  template <class Fn>
  DataStream<typename Fn::output_type> process(Fn fn) const {
    static_assert(std::is_base_of_v<ProcessAllWindowFunction<T, typename Fn::output_type, W>, Fn>,
                  "AllWindowedStream::process() takes a ProcessAllWindowFunction<T, Out, W>");
    return single(keyed_.process(detail::AllWindowFunctionAdapter<Fn>(std::move(fn))));
  }
  template <class M, class C = T>
  DataStream<T> sum(M C::*field) const { return single(keyed_.sum(field)); }
  template <class M, class C = T>
  DataStream<T> min(M C::*field) const { return single(keyed_.min(field)); }
  template <class M, class C = T>
  DataStream<T> max(M C::*field) const { return single(keyed_.max(field)); }
  template <class M, class C = T>
  DataStream<T> min_by(M C::*field) const { return single(keyed_.min_by(field)); }
  template <class M, class C = T>
  DataStream<T> max_by(M C::*field) const { return single(keyed_.max_by(field)); }

  DataStream<T> sum() const requires std::is_arithmetic_v<T> { return single(keyed_.sum()); }
  DataStream<T> min() const requires std::is_arithmetic_v<T> { return single(keyed_.min()); }
  DataStream<T> max() const requires std::is_arithmetic_v<T> { return single(keyed_.max()); }

 private:
  // window_all runs in one subtask, as Flink's non-parallel windowAll.
  template <class Out>
  static DataStream<Out> single(DataStream<Out> stream) {
    stream.set_parallelism(1);
    return stream;
  }

  WindowedStream<AllWindowsKey, T, W> keyed_;
};

// ---- the declarations of data_stream.h ----

template <class K, class T>
template <class Assigner>
auto KeyedStream<K, T>::window(Assigner assigner) const {
  using W = typename Assigner::window_type;
  return WindowedStream<K, T, W>(*this, std::make_shared<runtime::WindowAssignerAdapter<T, Assigner>>(std::move(assigner)));
}

template <class T>
template <class Assigner>
auto DataStream<T>::window_all(Assigner assigner) const {
  using W = typename Assigner::window_type;
  auto keyed = key_by([](const T&) { return AllWindowsKey{0}; });
  return AllWindowedStream<T, W>(
      WindowedStream<AllWindowsKey, T, W>(keyed, std::make_shared<runtime::WindowAssignerAdapter<T, Assigner>>(std::move(assigner))));
}

}  // namespace sluice
