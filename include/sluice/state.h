// Keyed state, as in Flink: handles that a keyed function gets in open() and uses while
// processing a record or a timer; every read and write is scoped to the current key (and,
// inside window operators, the current window). A handle is a small value bound to its
// operator subtask; use it only from that subtask's thread, only while a key is current.
//
// Descriptors name a state (the name is its identity in checkpoints) and may carry a
// time-to-live: an entry not written (or, with on_read_and_write, not read) within the TTL
// is gone, in processing time, as Flink's StateTtlConfig with NeverReturnExpired.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sluice/time.h"

namespace sluice {

struct StateTtlConfig {
  enum class UpdateType { on_create_and_write, on_read_and_write };
  Duration ttl{0};
  UpdateType update_type = UpdateType::on_create_and_write;
};

template <class V>
struct ValueStateDescriptor {
  std::string name;
  std::optional<StateTtlConfig> ttl{};
  ValueStateDescriptor& enable_time_to_live(StateTtlConfig config) { ttl = config; return *this; }
};

template <class V>
struct ListStateDescriptor {
  std::string name;
  std::optional<StateTtlConfig> ttl{};
  ListStateDescriptor& enable_time_to_live(StateTtlConfig config) { ttl = config; return *this; }
};

template <class UK, class UV>
struct MapStateDescriptor {
  std::string name;
  std::optional<StateTtlConfig> ttl{};
  MapStateDescriptor& enable_time_to_live(StateTtlConfig config) { ttl = config; return *this; }
};

template <class V>
struct ReducingStateDescriptor {
  std::string name;
  std::function<V(const V&, const V&)> reduce;
  std::optional<StateTtlConfig> ttl{};
  ReducingStateDescriptor& enable_time_to_live(StateTtlConfig config) { ttl = config; return *this; }
};

// Flink's AggregateFunction: an accumulator built up record by record.
template <class In, class Acc, class Out>
struct AggregateFunction {
  using input_type = In;
  using accumulator_type = Acc;
  using output_type = Out;
  virtual ~AggregateFunction() = default;
  virtual Acc create_accumulator() const = 0;
  virtual void add(const In& value, Acc& accumulator) const = 0;
  virtual Out get_result(const Acc& accumulator) const = 0;
  // Two accumulators into one (session windows merge); defaults to "cannot merge".
  virtual Acc merge(Acc a, const Acc& b) const;
};

template <class In, class Acc, class Out>
Acc AggregateFunction<In, Acc, Out>::merge(Acc, const Acc&) const {
  throw std::logic_error("this AggregateFunction does not implement merge()");
}

template <class In, class Acc, class Out>
struct AggregatingStateDescriptor {
  std::string name;
  std::shared_ptr<const AggregateFunction<In, Acc, Out>> function;
  std::optional<StateTtlConfig> ttl{};
  AggregatingStateDescriptor& enable_time_to_live(StateTtlConfig config) { ttl = config; return *this; }
};

// The storage behind a handle, scoped to the current key by the backend.
template <class V>
class ValueStateStorage {
 public:
  virtual ~ValueStateStorage() = default;
  virtual const V* get() = 0;  // nullptr when unset (or expired)
  virtual V& get_or_create() = 0;
  virtual void put(V value) = 0;
  virtual void clear() = 0;
};

template <class V>
class ValueState {
 public:
  ValueState() = default;
  explicit ValueState(ValueStateStorage<V>* storage) : storage_(storage) {}
  std::optional<V> value() const {
    const V* v = storage_->get();
    return v ? std::optional<V>(*v) : std::nullopt;
  }
  V value_or(V fallback) const {
    const V* v = storage_->get();
    return v ? *v : std::move(fallback);
  }
  void update(V value) { storage_->put(std::move(value)); }
  void clear() { storage_->clear(); }

 private:
  ValueStateStorage<V>* storage_ = nullptr;
};

template <class V>
class ListState {
 public:
  ListState() = default;
  explicit ListState(ValueStateStorage<std::vector<V>>* storage) : storage_(storage) {}
  // The elements in insertion order; empty when none.
  std::vector<V> get() const {
    const auto* v = storage_->get();
    return v ? *v : std::vector<V>{};
  }
  // Read without copying; valid until the next state call.
  const std::vector<V>* view() const { return storage_->get(); }
  void add(V value) { storage_->get_or_create().push_back(std::move(value)); }
  void add_all(const std::vector<V>& values) {
    auto& list = storage_->get_or_create();
    list.insert(list.end(), values.begin(), values.end());
  }
  void update(std::vector<V> values) {
    if (values.empty()) storage_->clear(); else storage_->put(std::move(values));
  }
  void clear() { storage_->clear(); }

 private:
  ValueStateStorage<std::vector<V>>* storage_ = nullptr;
};

template <class UK, class UV>
class MapState {
 public:
  using Map = std::unordered_map<UK, UV>;
  MapState() = default;
  explicit MapState(ValueStateStorage<Map>* storage) : storage_(storage) {}
  std::optional<UV> get(const UK& key) const {
    const Map* m = storage_->get();
    if (!m) return std::nullopt;
    auto it = m->find(key);
    return it == m->end() ? std::nullopt : std::optional<UV>(it->second);
  }
  bool contains(const UK& key) const {
    const Map* m = storage_->get();
    return m && m->count(key);
  }
  void put(UK key, UV value) { storage_->get_or_create()[std::move(key)] = std::move(value); }
  void remove(const UK& key) {
    const Map* m = storage_->get();
    if (!m) return;
    Map& map = storage_->get_or_create();
    map.erase(key);
    if (map.empty()) storage_->clear();
  }
  bool is_empty() const {
    const Map* m = storage_->get();
    return !m || m->empty();
  }
  // Every entry (a copy); entries_view() reads in place, valid until the next state call.
  Map entries() const {
    const Map* m = storage_->get();
    return m ? *m : Map{};
  }
  const Map* entries_view() const { return storage_->get(); }
  void clear() { storage_->clear(); }

 private:
  ValueStateStorage<Map>* storage_ = nullptr;
};

template <class V>
class ReducingState {
 public:
  ReducingState() = default;
  ReducingState(ValueStateStorage<V>* storage, std::function<V(const V&, const V&)> reduce)
      : storage_(storage), reduce_(std::move(reduce)) {}
  std::optional<V> get() const {
    const V* v = storage_->get();
    return v ? std::optional<V>(*v) : std::nullopt;
  }
  void add(V value) {
    const V* v = storage_->get();
    storage_->put(v ? reduce_(*v, value) : std::move(value));
  }
  void clear() { storage_->clear(); }

 private:
  ValueStateStorage<V>* storage_ = nullptr;
  std::function<V(const V&, const V&)> reduce_;
};

template <class In, class Acc, class Out>
class AggregatingState {
 public:
  AggregatingState() = default;
  AggregatingState(ValueStateStorage<Acc>* storage,
                   std::shared_ptr<const AggregateFunction<In, Acc, Out>> function)
      : storage_(storage), function_(std::move(function)) {}
  std::optional<Out> get() const {
    const Acc* acc = storage_->get();
    return acc ? std::optional<Out>(function_->get_result(*acc)) : std::nullopt;
  }
  void add(const In& value) {
    if (!storage_->get()) storage_->put(function_->create_accumulator());
    function_->add(value, storage_->get_or_create());
  }
  void clear() { storage_->clear(); }

 private:
  ValueStateStorage<Acc>* storage_ = nullptr;
  std::shared_ptr<const AggregateFunction<In, Acc, Out>> function_;
};

}  // namespace sluice
