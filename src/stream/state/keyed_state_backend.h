// KeyedStateBackend<K>: where the keyed state of one operator subtask lives, whatever the
// backend (Flink's KeyedStateBackend). Two implementations: HeapKeyedStateBackend (hash
// maps on the heap, the default, fastest) and RocksDbKeyedStateBackend (an embedded RocksDB
// on local disk, for state larger than memory). Operators and KeyedStateAccess see only
// this interface; the job's configuration picks the implementation
// (runtime::make_keyed_state_backend).
//
// Contract shared by both: the operator sets the current key before every record or timer
// (the pointer stays valid until the next set_current_key); the handles of
// include/sluice/state.h read and write the entry of that key. snapshot() writes every state
// as a keyed section "state/<name>", per key group the concatenated entries
// (key, value[, last touched]) in sluice::Serializer's encoding: the same bytes from both
// backends, so a savepoint of one restores into the other. restore() takes the sections of
// this subtask's key groups before the states are registered. Single-threaded: the
// subtask's thread.
//
// Why templates dispatch on a kind and not through a virtual: storage<V>() must create a
// table typed by V, and a virtual function cannot be a template. The two backends are a
// closed set, so storage<V>() static_casts to the one that `kind()` names; the per-access
// path (ValueStateStorage<V>::get and friends) is one virtual call, as before, and
// set_current_key is inline and non-virtual, so the heap path costs what it did.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/checkpoint.h"
#include "sluice/state.h"
#include "stream/runtime/processing_clock.h"

namespace sluice::state {

enum class BackendKind { heap, rocksdb };

template <class K>
class HeapKeyedStateBackend;
template <class K>
class RocksDbKeyedStateBackend;

template <class K>
class KeyedStateBackend {
 public:
  static constexpr std::string_view kSectionPrefix = "state/";

  virtual ~KeyedStateBackend() = default;
  KeyedStateBackend(const KeyedStateBackend&) = delete;
  KeyedStateBackend& operator=(const KeyedStateBackend&) = delete;

  BackendKind kind() const { return kind_; }
  int max_parallelism() const { return max_parallelism_; }

  // `key` must stay valid until the next call (the operator keeps it for the duration of
  // one record or timer).
  void set_current_key(const K* key) { key_ = key; }
  const K& current_key() const { return *key_; }

  // The storage of state `name` with values V, created on first use (and filled with what
  // restore() kept for it). Throws std::logic_error when `name` was registered with
  // another V, or (RocksDB) when K or V cannot be serialized. The backend owns it.
  template <class V>
  ValueStateStorage<V>* storage(const std::string& name, std::optional<StateTtlConfig> ttl);

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
  AggregatingState<In, Acc, Out> aggregating_state(const AggregatingStateDescriptor<In, Acc, Out>& d) {
    return AggregatingState<In, Acc, Out>(storage<Acc>(d.name, d.ttl), d.function);
  }

  // Adds every state to `keyed` as "state/<name>" → key group → entries. Throws when a
  // state's key or value cannot be serialized (the checkpoint is declined).
  virtual void snapshot(std::map<std::string, std::map<int, std::string>>& keyed) = 0;
  // A periodic checkpoint's snapshot. By default the sections of snapshot(); the RocksDB
  // backend (native checkpoints on) stages RocksDB's own checkpoint in `out.native` instead,
  // leaving as sections only states restored but never asked for. Throws as snapshot().
  virtual void checkpoint(CheckpointId id, OperatorSnapshot& out) { snapshot(out.keyed); }
  // Takes the "state/..." sections of `state` and its native checkpoints (either backend
  // reads RocksDB's); the views must outlive the registration of the states (the
  // operator's open()).
  virtual void restore(const OperatorRestore& state) = 0;
  // Entries held by a state (expired TTL entries not yet purged included).
  virtual size_t entries(const std::string& name) = 0;
  // Drops every expired TTL entry; returns how many.
  virtual size_t purge_expired() = 0;

 protected:
  KeyedStateBackend(BackendKind kind, const ProcessingClock* clock, int max_parallelism)
      : kind_(kind), clock_(clock), max_parallelism_(max_parallelism) {}

  BackendKind kind_;
  const ProcessingClock* clock_;
  int max_parallelism_;
  const K* key_ = nullptr;
};

}  // namespace sluice::state

// Both implementations, so that storage<V>() below can reach them.
#include "stream/state/heap_keyed_state.h"
#include "stream/state/rocksdb_keyed_state.h"

namespace sluice::state {

template <class K>
template <class V>
ValueStateStorage<V>* KeyedStateBackend<K>::storage(const std::string& name, std::optional<StateTtlConfig> ttl) {
  if (kind_ == BackendKind::heap)
    return static_cast<HeapKeyedStateBackend<K>*>(this)->template typed_storage<V>(name, ttl);
  return static_cast<RocksDbKeyedStateBackend<K>*>(this)->template typed_storage<V>(name, ttl);
}

}  // namespace sluice::state
