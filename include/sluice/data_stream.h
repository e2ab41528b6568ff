// DataStream<T>: a stream of T records in a job being built (Flink's DataStream). Each
// transformation adds an operator to the StreamEnvironment's graph and returns the stream
// it produces; the objects are small handles (environment + operator id), cheap to copy.
// Function objects given here are prototypes: every parallel subtask gets its own copy.
//
// name(), uid() and set_parallelism() configure the operator that produced the stream.
// rebalance(), broadcast() and forward() choose how records reach the NEXT operator; by
// default they go forward (one-to-one, chained into one task) when both sides have the same
// parallelism, else round-robin. key_by() hashes keys into key groups.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sluice/functions.h"
#include "sluice/sink.h"
#include "sluice/source.h"
#include "sluice/stream_environment.h"
#include "stream/runtime/basic_operators.h"
#include "stream/runtime/co_process_operator.h"
#include "stream/runtime/keyed_process_operator.h"
#include "stream/runtime/source_operator.h"

namespace sluice {

template <class K, class T>
class KeyedStream;
template <class T1, class T2>
class ConnectedStreams;
template <class K, class T, class W>
class WindowedStream;
template <class T, class W>
class AllWindowedStream;

namespace detail {

using OperatorFactory = std::function<std::unique_ptr<runtime::StreamOperator>(const SubtaskInfo&)>;

template <class Out>
runtime::GraphNode& add_node(StreamEnvironment& env, std::string kind, std::string name, OperatorFactory make) {
  auto& node = env.graph().add_node(std::move(kind), std::move(name));
  node.make_operator = std::move(make);
  node.outputs[""] = std::make_shared<runtime::TypedStreamOps<Out>>();
  return node;
}

}  // namespace detail

// The operator that writes a stream into a sink; configure it like a stream's operator.
class DataStreamSink {
 public:
  DataStreamSink(StreamEnvironment* env, int node) : env_(env), node_(node) {}
  DataStreamSink& name(std::string name) { env_->graph().nodes[node_].name = std::move(name); return *this; }
  DataStreamSink& uid(std::string uid) { env_->graph().nodes[node_].uid = std::move(uid); return *this; }
  DataStreamSink& set_parallelism(int p) { env_->graph().nodes[node_].parallelism = p; return *this; }

 private:
  StreamEnvironment* env_;
  int node_;
};

template <class T>
class DataStream {
 public:
  using value_type = T;

  DataStream(StreamEnvironment* env, int node, std::string stream = {})
      : env_(env), node_(node), stream_(std::move(stream)) {}

  // ---- operator settings ----
  DataStream& name(std::string name) { node().name = std::move(name); return *this; }
  DataStream& uid(std::string uid) { node().uid = std::move(uid); return *this; }
  DataStream& set_parallelism(int parallelism) { node().parallelism = parallelism; return *this; }
  // Keeps this operator out of its input's chain (its own task and thread).
  DataStream& start_new_chain() { node().chainable = false; return *this; }

  // ---- partitioning of the next edge ----
  DataStream rebalance() const { return with_partitioning(runtime::Partitioning::rebalance); }
  DataStream broadcast() const { return with_partitioning(runtime::Partitioning::broadcast); }
  DataStream forward() const { return with_partitioning(runtime::Partitioning::forward); }

  // ---- transformations ----
  // f: Out(const T&).
  template <class F>
  auto map(F f) const {
    using Out = std::decay_t<std::invoke_result_t<F&, const T&>>;
    return one_input<Out>("map", "Map", [f](const SubtaskInfo&) {
      return std::make_unique<runtime::MapOperator<T, Out, F>>(f);
    });
  }
  // f: bool(const T&); keeps the records for which it is true.
  template <class F>
  DataStream<T> filter(F f) const {
    return one_input<T>("filter", "Filter", [f](const SubtaskInfo&) {
      return std::make_unique<runtime::FilterOperator<T, F>>(f);
    });
  }
  // f: void(const T&, Collector<Out>&); any number of outputs per record.
  template <class Out, class F>
  DataStream<Out> flat_map(F f) const {
    return one_input<Out>("flat-map", "Flat Map", [f](const SubtaskInfo&) {
      return std::make_unique<runtime::FlatMapOperator<T, Out, F>>(f);
    });
  }
  // fn: a copyable ProcessFunction<T, Out> subclass.
  template <class Fn>
  DataStream<typename Fn::output_type> process(Fn fn) const {
    using Out = typename Fn::output_type;
    static_assert(std::is_base_of_v<ProcessFunction<T, Out>, Fn>, "process() takes a ProcessFunction<T, Out>");
    return one_input<Out>("process", "Process", [fn](const SubtaskInfo&) {
      return std::make_unique<runtime::ProcessOperator<T, Out>>(std::make_unique<Fn>(fn));
    });
  }
  // key_of: K(const T&). K needs std::hash, == and < (timers are ordered by key).
  template <class F>
  auto key_by(F key_of) const {
    using K = std::decay_t<std::invoke_result_t<F&, const T&>>;
    return KeyedStream<K, T>(*this, std::function<K(const T&)>(key_of));
  }
  // The records of this stream and of `others`, interleaved.
  template <class... S>
  DataStream<T> union_with(const S&... others) const {
    auto& n = detail::add_node<T>(*env_, "union", "Union", [](const SubtaskInfo&) {
      return std::make_unique<runtime::UnionOperator<T>>();
    });
    int id = n.id;
    connect_to(id, 0);
    (others.connect_to(id, 0), ...);
    return DataStream<T>(env_, id);
  }
  template <class U>
  ConnectedStreams<T, U> connect(const DataStream<U>& other) const {
    return ConnectedStreams<T, U>(*this, other);
  }
  // The records the operator of this stream sent to `tag`.
  template <class X>
  DataStream<X> side_output(const OutputTag<X>& tag) const {
    node().outputs[tag.id()] = std::make_shared<runtime::TypedStreamOps<X>>();
    return DataStream<X>(env_, node_, tag.id());
  }
  // Records that a user function of this stream's operator threw on, with the error:
  // calling this routes them here instead of failing the job (a dead-letter queue).
  DataStream<FailedRecord> failures() const {
    node().route_failures = true;
    node().outputs[runtime::kFailuresOutput] = std::make_shared<runtime::TypedStreamOps<FailedRecord>>();
    return DataStream<FailedRecord>(env_, node_, runtime::kFailuresOutput);
  }
  // sink: any class deriving from Sink<T>; copied, then create_writer() per subtask.
  template <class S>
  DataStreamSink sink_to(S sink) const {
    static_assert(std::is_base_of_v<Sink<T>, S>, "sink_to() takes a Sink<T>");
    auto shared = std::make_shared<S>(std::move(sink));
    auto& n = detail::add_node<T>(*env_, "sink", "Sink", [shared](const SubtaskInfo& info) {
      return std::make_unique<runtime::SinkOperator<T>>(shared->create_writer(info));
    });
    n.committer = shared->checkpoint_committer();
    int id = n.id;
    connect_to(id, 0);
    return DataStreamSink(env_, id);
  }

  // Windows over the whole stream, in one subtask (Flink's windowAll); see windows.h.
  template <class Assigner>
  auto window_all(Assigner assigner) const;

  // ---- plumbing for the API's own classes ----
  StreamEnvironment* environment() const { return env_; }
  int node_id() const { return node_; }
  void connect_to(int target, int input, std::optional<runtime::Partitioning> partitioning = {},
                  std::shared_ptr<const void> key_hash = {}) const {
    env_->graph().add_edge(runtime::GraphEdge{node_, stream_, target, input,
                                              partitioning ? partitioning : partitioning_,
                                              std::move(key_hash)});
  }
  template <class Out>
  DataStream<Out> one_input(std::string kind, std::string name, detail::OperatorFactory make,
                            std::optional<runtime::Partitioning> partitioning = {},
                            std::shared_ptr<const void> key_hash = {}) const {
    int id = detail::add_node<Out>(*env_, std::move(kind), std::move(name), std::move(make)).id;
    connect_to(id, 0, partitioning, std::move(key_hash));
    return DataStream<Out>(env_, id);
  }

 private:
  runtime::GraphNode& node() const { return env_->graph().nodes[node_]; }
  DataStream with_partitioning(runtime::Partitioning p) const {
    DataStream copy = *this;
    copy.partitioning_ = p;
    return copy;
  }

  StreamEnvironment* env_;
  int node_;
  std::string stream_;
  std::optional<runtime::Partitioning> partitioning_;
};

// A stream partitioned by key: state and timers of keyed functions are per key.
template <class K, class T>
class KeyedStream {
 public:
  using key_type = K;
  using value_type = T;

  KeyedStream(DataStream<T> input, std::function<K(const T&)> key_of)
      : input_(std::move(input)),
        key_of_(std::move(key_of)),
        key_hash_(std::make_shared<const runtime::KeyHash<T>>(
            [key_of = key_of_](const T& v) { return std::hash<K>{}(key_of(v)); })) {}

  // fn: a copyable KeyedProcessFunction<K, T, Out> subclass.
  template <class Fn>
  DataStream<typename Fn::output_type> process(Fn fn) const {
    using Out = typename Fn::output_type;
    static_assert(std::is_base_of_v<KeyedProcessFunction<K, T, Out>, Fn>,
                  "KeyedStream::process() takes a KeyedProcessFunction<K, T, Out>");
    auto key_of = key_of_;
    return keyed_operator<Out>("keyed-process", "KeyedProcess", [fn, key_of](const SubtaskInfo&) {
      return std::make_unique<runtime::KeyedProcessOperator<K, T, Out>>(key_of, std::make_unique<Fn>(fn));
    });
  }

  // Rolling reduce: per key, emits f(previous result, record) for every record
  // (the first record of a key as it is). f: T(const T&, const T&).
  template <class F>
  DataStream<T> reduce(F f) const {
    return process(RollingReduce<F>(f)).name("Keyed Reduce");
  }
  // Rolling aggregates of one field; the other fields are those of the key's first record
  // (sum, min, max) or of the record holding the extreme value (min_by, max_by).
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

  // Windows per key; see windows.h.
  template <class Assigner>
  auto window(Assigner assigner) const;

  // ---- plumbing ----
  const DataStream<T>& input() const { return input_; }
  const std::function<K(const T&)>& key_selector() const { return key_of_; }
  const std::shared_ptr<const runtime::KeyHash<T>>& key_hash() const { return key_hash_; }
  // Adds a keyed operator fed by a hash exchange on this stream's key.
  template <class Out>
  DataStream<Out> keyed_operator(std::string kind, std::string name, detail::OperatorFactory make) const {
    return input_.template one_input<Out>(std::move(kind), std::move(name), std::move(make),
                                          runtime::Partitioning::hash, key_hash_);
  }

 private:
  template <class F>
  class RollingReduce final : public KeyedProcessFunction<K, T, T> {
   public:
    explicit RollingReduce(F f) : f_(std::move(f)) {}
    RollingReduce(const RollingReduce& other) : KeyedProcessFunction<K, T, T>(), f_(other.f_) {}
    void open(const SubtaskInfo&) override { acc_ = this->get_state(ValueStateDescriptor<T>{"reduce"}); }
    void process_element(const T& value, typename KeyedProcessFunction<K, T, T>::Context&,
                         Collector<T>& out) override {
      auto current = acc_.value();
      T next = current ? T(f_(*current, value)) : value;
      acc_.update(next);
      out.collect(std::move(next));
    }

   private:
    F f_;
    ValueState<T> acc_;
  };

  DataStream<T> input_;
  std::function<K(const T&)> key_of_;
  std::shared_ptr<const runtime::KeyHash<T>> key_hash_;
};

template <class K, class T1, class T2>
class KeyedConnectedStreams {
 public:
  KeyedConnectedStreams(KeyedStream<K, T1> first, KeyedStream<K, T2> second)
      : first_(std::move(first)), second_(std::move(second)) {}

  // fn: a copyable KeyedCoProcessFunction<K, T1, T2, Out> subclass.
  template <class Fn>
  DataStream<typename Fn::output_type> process(Fn fn) const {
    using Out = typename Fn::output_type;
    auto k1 = first_.key_selector();
    auto k2 = second_.key_selector();
    auto* env = first_.input().environment();
    int id = detail::add_node<Out>(*env, "keyed-co-process", "KeyedCoProcess", [fn, k1, k2](const SubtaskInfo&) {
               return std::make_unique<runtime::KeyedCoProcessOperator<K, T1, T2, Out>>(
                   k1, k2, std::make_unique<Fn>(fn));
             }).id;
    first_.input().connect_to(id, 0, runtime::Partitioning::hash, first_.key_hash());
    second_.input().connect_to(id, 1, runtime::Partitioning::hash, second_.key_hash());
    return DataStream<Out>(env, id);
  }

 private:
  KeyedStream<K, T1> first_;
  KeyedStream<K, T2> second_;
};

template <class T1, class T2>
class ConnectedStreams {
 public:
  ConnectedStreams(DataStream<T1> first, DataStream<T2> second)
      : first_(std::move(first)), second_(std::move(second)) {}

  // fn: a copyable CoProcessFunction<T1, T2, Out> subclass.
  template <class Fn>
  DataStream<typename Fn::output_type> process(Fn fn) const {
    using Out = typename Fn::output_type;
    auto* env = first_.environment();
    int id = detail::add_node<Out>(*env, "co-process", "CoProcess", [fn](const SubtaskInfo&) {
               return std::make_unique<runtime::CoProcessOperator<T1, T2, Out>>(std::make_unique<Fn>(fn));
             }).id;
    first_.connect_to(id, 0);
    second_.connect_to(id, 1);
    return DataStream<Out>(env, id);
  }
  // Both inputs keyed by one key type: process() then takes a KeyedCoProcessFunction.
  template <class F1, class F2>
  auto key_by(F1 key1, F2 key2) const {
    auto k1 = first_.key_by(key1);
    auto k2 = second_.key_by(key2);
    using K = typename decltype(k1)::key_type;
    static_assert(std::is_same_v<K, typename decltype(k2)::key_type>, "both key selectors must return one type");
    return KeyedConnectedStreams<K, T1, T2>(k1, k2);
  }

 private:
  DataStream<T1> first_;
  DataStream<T2> second_;
};

// ---- StreamEnvironment's sources ----

template <class S>
DataStream<typename S::value_type> StreamEnvironment::from_source(
    S source, WatermarkStrategy<typename S::value_type> strategy, std::string name) {
  using T = typename S::value_type;
  static_assert(std::is_base_of_v<Source<T>, S>, "from_source() takes a Source<T>");
  auto shared = std::make_shared<S>(std::move(source));
  int id = detail::add_node<T>(*this, "source", "Source: " + name, [shared, strategy](const SubtaskInfo& info) {
             return std::make_unique<runtime::SourceOperator<T>>(shared->create_reader(info), strategy);
           }).id;
  return DataStream<T>(this, id);
}

}  // namespace sluice
