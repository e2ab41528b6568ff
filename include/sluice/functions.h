// The user-function side of the DataStream API: Collector, OutputTag (side outputs),
// TimerService, ProcessFunction, KeyedProcessFunction and CoProcessFunction, as in Flink.
//
// Each parallel subtask gets its own copy of a function object (the one given to the API
// is the prototype, copied before the job starts), so a function may keep plain members;
// all of its callbacks run on that subtask's thread. Keyed state is reached through the
// get_*_state() calls, from open() on.
//
// A function that throws fails the job with the operator's name and the record in the
// message, unless the stream routes failures (DataStream::failures()).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "sluice/state.h"
#include "sluice/subtask_info.h"
#include "sluice/time.h"
#include "stream/runtime/output.h"
#include "stream/state/keyed_state_backend.h"

namespace sluice {

// Where a user function puts its results. collect(T&&) hands a record over;
// collect(const T&) lends one the caller keeps (a field of the input, say): the runtime
// copies it only if something downstream keeps it (a network exchange, a window), and an
// operator chained after this one that only reads it (a filter, a map, a sink) sees it
// without a copy. Called from the function's subtask thread only.
template <class T>
class Collector {
 public:
  virtual ~Collector() = default;
  virtual void collect(T&& value) = 0;
  virtual void collect(const T& value) {
    if constexpr (std::is_copy_constructible_v<T>) {
      collect(T(value));
    } else {
      throw std::logic_error("Collector::collect(const T&): the record type cannot be copied; move it");
    }
  }
};

// Names a side output of type T. Two tags with the same id are the same output.
template <class T>
class OutputTag {
 public:
  using value_type = T;
  explicit OutputTag(std::string id) : id_(std::move(id)) {}
  const std::string& id() const { return id_; }

 private:
  std::string id_;
};

enum class TimeDomain { event_time, processing_time };

class TimerService {
 public:
  virtual ~TimerService() = default;
  virtual Timestamp current_processing_time() const = 0;
  virtual Timestamp current_watermark() const = 0;
  // Timers are per key (and deduplicated per key and time); they fire on_timer with that
  // key current. Event-time timers fire when the watermark passes them.
  virtual void register_event_time_timer(Timestamp time) = 0;
  virtual void register_processing_time_timer(Timestamp time) = 0;
  virtual void delete_event_time_timer(Timestamp time) = 0;
  virtual void delete_processing_time_timer(Timestamp time) = 0;
};

// What every function context offers: the record's timestamp and side outputs.
class ContextBase {
 public:
  virtual ~ContextBase() = default;
  // The timestamp of the record being processed (or of the firing timer).
  virtual Timestamp timestamp() const = 0;
  template <class X>
  void output(const OutputTag<X>& tag, X value) {
    // A side output that no stream reads drops its records, as in Flink.
    if (auto* out = side_output(tag.id()))
      static_cast<runtime::Output<X>*>(out)->emit(std::move(value), timestamp());
  }

 protected:
  virtual runtime::OutputBase* side_output(const std::string& id) = 0;
};

template <class In, class Out>
class ProcessFunction {
 public:
  using input_type = In;
  using output_type = Out;
  class Context : public ContextBase {
   public:
    virtual Timestamp current_processing_time() const = 0;
    virtual Timestamp current_watermark() const = 0;
  };
  virtual ~ProcessFunction() = default;
  virtual void open(const SubtaskInfo&) {}
  virtual void process_element(const In& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void close() {}
};

// Gives keyed functions their state handles; the operator sets the backend before open().
template <class K>
class KeyedStateAccess {
 public:
  template <class V>
  ValueState<V> get_state(const ValueStateDescriptor<V>& d) { return backend().value_state(d); }
  template <class V>
  ListState<V> get_list_state(const ListStateDescriptor<V>& d) { return backend().list_state(d); }
  template <class UK, class UV>
  MapState<UK, UV> get_map_state(const MapStateDescriptor<UK, UV>& d) { return backend().map_state(d); }
  template <class V>
  ReducingState<V> get_reducing_state(const ReducingStateDescriptor<V>& d) {
    return backend().reducing_state(d);
  }
  template <class In, class Acc, class Out>
  AggregatingState<In, Acc, Out> get_aggregating_state(const AggregatingStateDescriptor<In, Acc, Out>& d) {
    return backend().aggregating_state(d);
  }

  // Runtime use: binds the function copy to its subtask's state.
  void bind_state(state::KeyedStateBackend<K>* backend) { backend_ = backend; }

 private:
  state::KeyedStateBackend<K>& backend() {
    if (!backend_) throw std::logic_error("keyed state is reachable from open() on, not before");
    return *backend_;
  }
  state::KeyedStateBackend<K>* backend_ = nullptr;
};

template <class K, class In, class Out>
class KeyedProcessFunction : public KeyedStateAccess<K> {
 public:
  using key_type = K;
  using input_type = In;
  using output_type = Out;
  class Context : public ContextBase {
   public:
    virtual TimerService& timer_service() = 0;
    virtual const K& current_key() const = 0;
  };
  class OnTimerContext : public Context {
   public:
    virtual TimeDomain time_domain() const = 0;
  };
  virtual ~KeyedProcessFunction() = default;
  virtual void open(const SubtaskInfo&) {}
  virtual void process_element(const In& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void on_timer(Timestamp time, OnTimerContext& ctx, Collector<Out>& out) {}
  virtual void close() {}
};

// Two inputs of different types into one function (DataStream::connect).
template <class In1, class In2, class Out>
class CoProcessFunction {
 public:
  using input1_type = In1;
  using input2_type = In2;
  using output_type = Out;
  using Context = typename ProcessFunction<In1, Out>::Context;
  virtual ~CoProcessFunction() = default;
  virtual void open(const SubtaskInfo&) {}
  virtual void process_element1(const In1& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void process_element2(const In2& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void close() {}
};

// Two keyed inputs with one key type: both sides of a key share state and timers.
template <class K, class In1, class In2, class Out>
class KeyedCoProcessFunction : public KeyedStateAccess<K> {
 public:
  using key_type = K;
  using input1_type = In1;
  using input2_type = In2;
  using output_type = Out;
  using Context = typename KeyedProcessFunction<K, In1, Out>::Context;
  using OnTimerContext = typename KeyedProcessFunction<K, In1, Out>::OnTimerContext;
  virtual ~KeyedCoProcessFunction() = default;
  virtual void open(const SubtaskInfo&) {}
  virtual void process_element1(const In1& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void process_element2(const In2& value, Context& ctx, Collector<Out>& out) = 0;
  virtual void on_timer(Timestamp time, OnTimerContext& ctx, Collector<Out>& out) {}
  virtual void close() {}
};

// A record a user function failed on, when the stream routes failures instead of failing
// the job: which operator, the record as text, and the error.
struct FailedRecord {
  std::string operator_name;
  std::string record;
  std::string error;
  Timestamp timestamp = kNoTimestamp;
};

// Why a job failed in a user function: the operator, the record, the function's error.
class UserFunctionError : public std::runtime_error {
 public:
  UserFunctionError(const std::string& operator_name, const std::string& record,
                    const std::string& error)
      : std::runtime_error("operator '" + operator_name + "' failed on record " + record + ": " +
                           error) {}
};

}  // namespace sluice
