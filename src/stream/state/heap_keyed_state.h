// HeapKeyedStateBackend<K>: keyed state of one operator subtask in hash maps on the heap
// (Flink's HashMapStateBackend). Each named state is a table key → value; the handles of
// include/sluice/state.h read and write the entry of the current key, which the operator
// sets before every record or timer. TTL entries carry the processing time of their last
// write (or read) and are dropped when found expired. Single-threaded: the subtask's thread.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unordered_map>

#include "sluice/state.h"
#include "stream/runtime/processing_clock.h"

namespace sluice::state {

class StateTableBase {
 public:
  virtual ~StateTableBase() = default;
  virtual size_t size() const = 0;
  // Drops every expired entry (TTL tables); returns how many.
  virtual size_t purge_expired() { return 0; }
  virtual const std::type_info& value_type() const = 0;
};

template <class K>
class HeapKeyedStateBackend {
 public:
  explicit HeapKeyedStateBackend(const ProcessingClock* clock) : clock_(clock) {}

  // `key` must stay valid until the next call (the operator keeps it for the duration of
  // one record or timer).
  void set_current_key(const K* key) { key_ = key; }
  const K& current_key() const { return *key_; }

  template <class V>
  ValueStateStorage<V>* storage(const std::string& name, std::optional<StateTtlConfig> ttl) {
    auto it = tables_.find(name);
    if (it != tables_.end()) {
      if (it->second->value_type() != typeid(V))
        throw std::logic_error("state '" + name + "' is registered twice with different types");
      return dynamic_cast<ValueStateStorage<V>*>(it->second.get());
    }
    std::unique_ptr<StateTableBase> table;
    ValueStateStorage<V>* storage;
    if (ttl) {
      auto t = std::make_unique<Table<V, true>>(this, *ttl);
      storage = t.get();
      table = std::move(t);
    } else {
      auto t = std::make_unique<Table<V, false>>(this, StateTtlConfig{});
      storage = t.get();
      table = std::move(t);
    }
    tables_.emplace(name, std::move(table));
    return storage;
  }

  template <class V>
  ValueState<V> value_state(const ValueStateDescriptor<V>& d) {
    return ValueState<V>(storage<V>(d.name, d.ttl));
  }
  template <class V>
  ListState<V> list_state(const ListStateDescriptor<V>& d) {
    return ListState<V>(storage<std::vector<V>>(d.name, d.ttl));
  }
  template <class UK, class UV>
  MapState<UK, UV> map_state(const MapStateDescriptor<UK, UV>& d) {
    return MapState<UK, UV>(storage<std::unordered_map<UK, UV>>(d.name, d.ttl));
  }
  template <class V>
  ReducingState<V> reducing_state(const ReducingStateDescriptor<V>& d) {
    return ReducingState<V>(storage<V>(d.name, d.ttl), d.reduce);
  }
  template <class In, class Acc, class Out>
  AggregatingState<In, Acc, Out> aggregating_state(
      const AggregatingStateDescriptor<In, Acc, Out>& d) {
    return AggregatingState<In, Acc, Out>(storage<Acc>(d.name, d.ttl), d.function);
  }

  // Entries held by a state (expired TTL entries not yet purged included).
  size_t entries(const std::string& name) const {
    auto it = tables_.find(name);
    return it == tables_.end() ? 0 : it->second->size();
  }
  size_t purge_expired() {
    size_t n = 0;
    for (auto& [name, table] : tables_) n += table->purge_expired();
    return n;
  }

 private:
  template <class V, bool kTtl>
  class Table final : public StateTableBase, public ValueStateStorage<V> {
    struct WithTime {
      V value;
      Timestamp touched;
    };
    using Entry = std::conditional_t<kTtl, WithTime, V>;

   public:
    Table(HeapKeyedStateBackend* backend, StateTtlConfig ttl) : backend_(backend), ttl_(ttl) {}

    const V* get() override {
      auto it = map_.find(*backend_->key_);
      if (it == map_.end()) return nullptr;
      if constexpr (kTtl) {
        Timestamp now = backend_->clock_->now();
        if (expired(it->second, now)) {
          map_.erase(it);
          return nullptr;
        }
        if (ttl_.update_type == StateTtlConfig::UpdateType::on_read_and_write)
          it->second.touched = now;
        return &it->second.value;
      } else {
        return &it->second;
      }
    }
    V& get_or_create() override {
      if constexpr (kTtl) {
        Timestamp now = backend_->clock_->now();
        auto [it, inserted] = map_.try_emplace(*backend_->key_, WithTime{V{}, now});
        if (!inserted && expired(it->second, now)) it->second.value = V{};
        it->second.touched = now;
        return it->second.value;
      } else {
        return map_[*backend_->key_];
      }
    }
    void put(V value) override {
      if constexpr (kTtl) {
        map_.insert_or_assign(*backend_->key_, WithTime{std::move(value), backend_->clock_->now()});
      } else {
        map_.insert_or_assign(*backend_->key_, std::move(value));
      }
    }
    void clear() override { map_.erase(*backend_->key_); }
    size_t size() const override { return map_.size(); }
    const std::type_info& value_type() const override { return typeid(V); }
    size_t purge_expired() override {
      if constexpr (!kTtl) {
        return 0;
      } else {
        Timestamp now = backend_->clock_->now();
        return std::erase_if(map_, [&](const auto& kv) { return expired(kv.second, now); });
      }
    }

   private:
    bool expired(const WithTime& e, Timestamp now) const { return now - e.touched >= ttl_.ttl.count(); }

    HeapKeyedStateBackend* backend_;
    StateTtlConfig ttl_;
    std::unordered_map<K, Entry> map_;
  };

  const ProcessingClock* clock_;
  const K* key_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<StateTableBase>> tables_;
};

}  // namespace sluice::state
