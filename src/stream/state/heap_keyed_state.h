// HeapKeyedStateBackend<K>: keyed state of one operator subtask in hash maps on the heap
// (Flink's HashMapStateBackend), the default KeyedStateBackend (keyed_state_backend.h).
// Each named state is a table key → value; the handles of include/sluice/state.h read and
// write the entry of the current key, which the operator sets before every record or timer.
// TTL entries carry the processing time of their last write (or read) and are dropped when
// found expired. Single-threaded: the subtask's thread.
//
// Checkpoints: snapshot() writes each state as a keyed section "state/<name>", its entries
// grouped by the key group of their key (key, value[, last touched]) through
// sluice::Serializer. restore() keeps the restored bytes per state and decodes them when
// the state is first asked for, because only then are its value type and TTL known; a
// state nobody asks for again is written back unchanged by the next snapshot.
#pragma once

#include <map>
#include <memory>
#include <string_view>
#include <vector>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unordered_map>

#include "sluice/checkpoint.h"
#include "sluice/serializer.h"
#include "sluice/state.h"
#include "stream/state/keyed_state_backend.h"
#include "stream/runtime/key_groups.h"
#include "stream/runtime/processing_clock.h"
#include "stream/state/rocksdb_store.h"

namespace sluice::state {

class StateTableBase {
 public:
  virtual ~StateTableBase() = default;
  virtual size_t size() const = 0;
  // Drops every expired entry (TTL tables); returns how many.
  virtual size_t purge_expired() { return 0; }
  virtual const std::type_info& value_type() const = 0;
  // Appends every entry to the bytes of its key group.
  virtual void snapshot(std::map<int, std::string>& groups, int max_parallelism) const = 0;
  // Adds the entries of one key group's bytes.
  virtual void restore(std::string_view bytes) = 0;
};

template <class T>
std::string not_serializable(const std::string& what) {
  return what + " of type " + typeid(T).name() +
         " cannot be checkpointed: make it an aggregate of serializable fields or specialize "
         "sluice::Serializer for it (include/sluice/serializer.h)";
}

template <class K>
class HeapKeyedStateBackend final : public KeyedStateBackend<K> {
  using Base = KeyedStateBackend<K>;
  using Base::clock_;
  using Base::key_;
  using Base::max_parallelism_;

 public:
  using Base::kSectionPrefix;
  explicit HeapKeyedStateBackend(const ProcessingClock* clock, int max_parallelism = 128)
      : Base(BackendKind::heap, clock, max_parallelism) {}

  void snapshot(std::map<std::string, std::map<int, std::string>>& keyed) override {
    for (auto& [name, table] : tables_) table->snapshot(keyed[std::string(kSectionPrefix) + name], max_parallelism_);
    for (auto& [name, groups] : pending_) {
      auto& out = keyed[std::string(kSectionPrefix) + name];
      for (auto& [group, bytes] : groups) out[group].append(bytes);
    }
    std::erase_if(keyed, [](auto& kv) { return kv.second.empty(); });
  }
  // Takes the "state/..." sections of `state`; the views must outlive the first access.
  // RocksDB native checkpoints are read into sections of the same format first.
  void restore(const OperatorRestore& state) override {
    if (!state.native.empty()) {
      auto& bytes = *native_bytes_.emplace_back(std::make_unique<std::map<std::string, std::map<int, std::string>>>());
      for (auto& n : state.native)
        RocksDbStore::read_checkpoint(n.path, n.first_key_group, n.last_key_group,
                                      [&](const std::string& column, std::string_view key, std::string_view value) {
                                        int group = (static_cast<uint8_t>(key[0]) << 8) | static_cast<uint8_t>(key[1]);
                                        bytes[column][group].append(key.substr(2)).append(value);
                                      });
      OperatorRestore sections;
      for (auto& [column, groups] : bytes) {
        auto& out = sections.keyed[std::string(kSectionPrefix) + column];
        for (auto& [g, b] : groups) out.emplace_back(g, b);
      }
      restore(sections);
    }
    for (auto& [section, groups] : state.keyed) {
      if (section.rfind(kSectionPrefix, 0) != 0) continue;
      std::string name = section.substr(kSectionPrefix.size());
      auto it = tables_.find(name);
      if (it != tables_.end()) {
        for (auto& [g, bytes] : groups) it->second->restore(bytes);
      } else {
        auto& p = pending_[name];
        p.insert(p.end(), groups.begin(), groups.end());
      }
    }
  }

  // KeyedStateBackend<K>::storage<V>, for this backend.
  template <class V>
  ValueStateStorage<V>* typed_storage(const std::string& name, std::optional<StateTtlConfig> ttl) {
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
    auto pending = pending_.find(name);
    if (pending != pending_.end()) {
      for (auto& [g, bytes] : pending->second) table->restore(bytes);
      pending_.erase(pending);
    }
    tables_.emplace(name, std::move(table));
    return storage;
  }

  // Entries held by a state (expired TTL entries not yet purged included).
  size_t entries(const std::string& name) override {
    auto it = tables_.find(name);
    return it == tables_.end() ? 0 : it->second->size();
  }
  // Entries of every state (restored ones not yet asked for included).
  size_t total_entries() const {
    size_t n = pending_.size();
    for (auto& [name, table] : tables_) n += table->size();
    return n;
  }
  size_t purge_expired() override {
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
    void snapshot(std::map<int, std::string>& groups, int max_parallelism) const override {
      if constexpr (Serializable<K> && Serializable<V>) {
        for (const auto& [key, entry] : map_) {
          std::string& out = groups[runtime::key_group_of(key, max_parallelism)];
          StateWriter w(out);
          write_value(w, key);
          if constexpr (kTtl) {
            write_value(w, entry.value);
            w.i64(entry.touched);
          } else {
            write_value(w, entry);
          }
        }
      } else {
        if (map_.empty()) return;
        throw std::runtime_error(Serializable<K> ? not_serializable<V>("the value of a state")
                                                 : not_serializable<K>("the key"));
      }
    }
    void restore(std::string_view bytes) override {
      if constexpr (Serializable<K> && Serializable<V>) {
        StateReader r(bytes);
        while (!r.done()) {
          K key = read_value<K>(r);
          V value = read_value<V>(r);
          if constexpr (kTtl) {
            Timestamp touched = r.i64();
            map_.insert_or_assign(std::move(key), WithTime{std::move(value), touched});
          } else {
            map_.insert_or_assign(std::move(key), std::move(value));
          }
        }
      } else {
        throw std::runtime_error(Serializable<K> ? not_serializable<V>("the value of a state")
                                                 : not_serializable<K>("the key"));
      }
    }
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

  std::unordered_map<std::string, std::unique_ptr<StateTableBase>> tables_;
  std::map<std::string, std::vector<std::pair<int, std::string_view>>> pending_;  // restored, not yet asked for
  std::vector<std::unique_ptr<std::map<std::string, std::map<int, std::string>>>> native_bytes_;  // read from native checkpoints
};

}  // namespace sluice::state
