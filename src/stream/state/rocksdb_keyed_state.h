// RocksDbKeyedStateBackend<K>: keyed state of one operator subtask in an embedded RocksDB
// on local disk (Flink's EmbeddedRocksDBStateBackend), chosen by `--state-backend rocksdb`.
//
// Why RocksDB: the heap backend holds every entry as a C++ object (~100 bytes a key with
// its hash-map node), so state larger than memory cannot run on it. RocksDB keeps the hot
// part in memtables and its block cache and the rest compressed in SST files, at the cost
// of an encode/decode per access of a key.
//
// Layout: one RocksDbStore (one database in its own working directory) per backend, one
// column family per state. A RocksDB key is [key group: 2 bytes big-endian][Serializer<K>
// bytes], so the entries of a key group are one contiguous range; a value is the
// Serializer<V> bytes, followed by the last-touched processing time (8 bytes) for TTL
// states. That is exactly the entry format of the heap backend's checkpoints, so a
// snapshot copies bytes without decoding a value, and checkpoints of both backends are
// interchangeable. MapState is stored as one value per key (the whole map): simple, and
// costly for very large maps per key.
//
// The write-back cache: the handles of include/sluice/state.h hand out a `const V*` and a
// `V&`, so each state keeps the decoded value of the last key it touched. An access for
// another key first writes the cached value back (put, or delete when cleared) if it
// changed, then reads the new key's value (put() and clear() skip that read). The cache is
// also written back before every snapshot and count; the handles' pointers stay valid until
// the next state call, as the contract of state.h says. Single-threaded: the subtask's.
//
// Checkpoints (checkpoint(), native on by default through make_keyed_state_backend): RocksDB's
// own checkpoint of the database, staged as `<dir>.chk<id>` and moved into the checkpoint by
// its writer (docs/checkpoints.md). restore() opens a hard-linked copy of one when it holds
// exactly this subtask's key groups, else copies the entries of its key groups from each
// (rescaling); portable sections (savepoints, the heap's checkpoints) restore as before.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include "sluice/checkpoint.h"
#include "sluice/serializer.h"
#include "sluice/state.h"
#include "stream/runtime/key_groups.h"
#include "stream/runtime/processing_clock.h"
#include "stream/state/keyed_state_backend.h"
#include "stream/state/rocksdb_store.h"

namespace sluice::state {

template <class T>
std::string not_serializable(const std::string& what);

// Appends the 2-byte big-endian key group prefix of a RocksDB key.
inline void append_key_group(std::string& out, int group) {
  out.push_back(static_cast<char>((group >> 8) & 0xff));
  out.push_back(static_cast<char>(group & 0xff));
}
inline int key_group_of_prefix(std::string_view key) {
  return (static_cast<uint8_t>(key[0]) << 8) | static_cast<uint8_t>(key[1]);
}

template <class K>
class RocksDbKeyedStateBackend final : public KeyedStateBackend<K> {
  using Base = KeyedStateBackend<K>;
  using Base::clock_;
  using Base::key_;
  using Base::max_parallelism_;

 public:
  using Base::kSectionPrefix;

  // Opens a fresh database in `dir` (deleted first, and again when the backend is destroyed).
  // `native_checkpoints`: checkpoint() stages RocksDB's own checkpoint as `<dir>.chk<id>`,
  // beside `dir` (so on its file system), rather than writing sections.
  RocksDbKeyedStateBackend(std::string dir, const ProcessingClock* clock, int max_parallelism = 128,
                           bool native_checkpoints = false)
      : Base(BackendKind::rocksdb, clock, max_parallelism), store_(std::move(dir)), native_(native_checkpoints) {
    if (max_parallelism > 65536) throw std::invalid_argument("the RocksDB state backend takes at most 65536 key groups");
  }

  void checkpoint(CheckpointId id, OperatorSnapshot& out) override {
    if (!native_) {
      snapshot(out.keyed);
      return;
    }
    write_back();
    std::string staged = store_.dir() + ".chk" + std::to_string(id);
    std::error_code ec;
    std::filesystem::remove_all(staged, ec);
    store_.checkpoint_to(staged);
    uint64_t bytes = 0;
    for (auto& e : std::filesystem::directory_iterator(staged, ec))
      if (e.is_regular_file(ec)) bytes += e.file_size(ec);
    out.native = std::make_shared<NativeKeyedState>(staged, bytes);
    for (auto& [name, groups] : pending_) {
      auto& section = out.keyed[std::string(kSectionPrefix) + name];
      for (auto& [group, b] : groups) section[group].append(b);
    }
  }

  void snapshot(std::map<std::string, std::map<int, std::string>>& keyed) override {
    write_back();
    // Every column family: a restored native checkpoint holds states not yet asked for.
    for (auto& [name, column] : store_.columns()) {
      auto& out = keyed[std::string(kSectionPrefix) + name];
      auto cursor = store_.scan(column);
      std::string* group_bytes = nullptr;
      int group = -1;
      for (; cursor.valid(); cursor.next()) {
        std::string_view k = cursor.key();
        int g = key_group_of_prefix(k);
        if (g != group) {
          group = g;
          group_bytes = &out[g];
        }
        group_bytes->append(k.substr(2));
        group_bytes->append(cursor.value());
      }
    }
    for (auto& [name, groups] : pending_) {
      auto& out = keyed[std::string(kSectionPrefix) + name];
      for (auto& [group, bytes] : groups) out[group].append(bytes);
    }
    std::erase_if(keyed, [](auto& kv) { return kv.second.empty(); });
  }

  void restore(const OperatorRestore& state) override {
    if (state.native.size() == 1 && state.native[0].whole && tables_.empty() && store_.columns().empty()) {
      // The same key groups: the checkpoint's files, hard-linked, are the database.
      store_.open_copy_of(state.native[0].path);
    } else if (!state.native.empty()) {
      // Rescaled: this subtask's key groups of each, copied entry by entry (the keys carry
      // their key group already).
      for (auto& [name, table] : tables_) table->forget();
      for (auto& n : state.native)
        RocksDbStore::read_checkpoint(n.path, n.first_key_group, n.last_key_group,
                                      [&](const std::string& column, std::string_view key, std::string_view value) {
                                        store_.batch_put(store_.column(column), key, value);
                                      });
      store_.flush_batch();
    }
    for (auto& [section, groups] : state.keyed) {
      if (section.rfind(kSectionPrefix, 0) != 0) continue;
      std::string name = section.substr(kSectionPrefix.size());
      auto it = tables_.find(name);
      if (it != tables_.end()) {
        for (auto& [g, bytes] : groups) it->second->restore(g, bytes);
        store_.flush_batch();
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
    if constexpr (!Serializable<K>) {
      throw std::logic_error("state '" + name + "' cannot live in RocksDB: " + not_serializable<K>("the key"));
    } else if constexpr (!Serializable<V>) {
      throw std::logic_error("state '" + name + "' cannot live in RocksDB: " + not_serializable<V>("the value"));
    } else {
      std::unique_ptr<TableBase> table;
      ValueStateStorage<V>* storage;
      int column = store_.column(name);
      if (ttl) {
        auto t = std::make_unique<Table<V, true>>(this, column, *ttl);
        storage = t.get();
        table = std::move(t);
      } else {
        auto t = std::make_unique<Table<V, false>>(this, column, StateTtlConfig{});
        storage = t.get();
        table = std::move(t);
      }
      auto pending = pending_.find(name);
      if (pending != pending_.end()) {
        for (auto& [g, bytes] : pending->second) table->restore(g, bytes);
        store_.flush_batch();
        pending_.erase(pending);
      }
      tables_.emplace(name, std::move(table));
      return storage;
    }
  }

  size_t entries(const std::string& name) override {
    auto it = tables_.find(name);
    if (it == tables_.end()) return 0;
    it->second->write_back();
    size_t n = 0;
    for (auto c = store_.scan(it->second->column()); c.valid(); c.next()) ++n;
    return n;
  }

  size_t purge_expired() override {
    size_t n = 0;
    for (auto& [name, table] : tables_) n += table->purge_expired();
    return n;
  }

  // The working database, for measurements and RocksDB's own checkpoints.
  RocksDbStore& store() { return store_; }
  // Writes every state's cached value back into RocksDB.
  void write_back() {
    for (auto& [name, table] : tables_) table->write_back();
  }

 private:
  class TableBase {
   public:
    virtual ~TableBase() = default;
    virtual int column() const = 0;
    virtual const std::type_info& value_type() const = 0;
    virtual void write_back() = 0;
    // Loads one key group's entries (checkpoint format) into the store's write batch.
    virtual void restore(int group, std::string_view bytes) = 0;
    // Writes the cached value back and forgets it (entries may change under it).
    virtual void forget() = 0;
    virtual size_t purge_expired() = 0;
  };

  template <class V, bool kTtl>
  class Table final : public TableBase, public ValueStateStorage<V> {
   public:
    Table(RocksDbKeyedStateBackend* backend, int column, StateTtlConfig ttl)
        : backend_(backend), column_(column), ttl_(ttl) {}

    const V* get() override {
      load();
      if (!present_) return nullptr;
      if constexpr (kTtl) {
        Timestamp now = backend_->clock_->now();
        if (now - touched_ >= ttl_.ttl.count()) {
          present_ = false;
          dirty_ = true;
          return nullptr;
        }
        if (ttl_.update_type == StateTtlConfig::UpdateType::on_read_and_write) {
          touched_ = now;
          dirty_ = true;
        }
      }
      return &value_;
    }
    V& get_or_create() override {
      load();
      if constexpr (kTtl) {
        Timestamp now = backend_->clock_->now();
        if (present_ && now - touched_ >= ttl_.ttl.count()) present_ = false;
        touched_ = now;
      }
      if (!present_) {
        value_ = V{};
        present_ = true;
      }
      dirty_ = true;
      return value_;
    }
    void put(V value) override {
      select();
      value_ = std::move(value);
      present_ = true;
      if constexpr (kTtl) touched_ = backend_->clock_->now();
      dirty_ = true;
    }
    void clear() override {
      select();
      if (present_) value_ = V{};  // free what it holds
      present_ = false;
      dirty_ = true;
    }

    int column() const override { return column_; }
    const std::type_info& value_type() const override { return typeid(V); }

    void write_back() override {
      if (!dirty_) return;
      if (present_) {
        buffer_.clear();
        StateWriter w(buffer_);
        write_value(w, value_);
        if constexpr (kTtl) w.i64(touched_);
        backend_->store_.put(column_, rocks_key_, buffer_);
      } else {
        backend_->store_.remove(column_, rocks_key_);
      }
      dirty_ = false;
    }

    void forget() override {
      write_back();
      cached_.reset();
    }

    void restore(int group, std::string_view bytes) override {
      write_back();
      cached_.reset();  // the restored entries may replace the cached one
      StateReader r(bytes);
      std::string key;
      while (!r.done()) {
        size_t start = bytes.size() - r.remaining();
        (void)read_value<K>(r);
        size_t middle = bytes.size() - r.remaining();
        (void)read_value<V>(r);
        if constexpr (kTtl) (void)r.i64();
        size_t end = bytes.size() - r.remaining();
        key.clear();
        append_key_group(key, group);
        key.append(bytes.substr(start, middle - start));
        backend_->store_.batch_put(column_, key, bytes.substr(middle, end - middle));
      }
    }

    size_t purge_expired() override {
      if constexpr (!kTtl) {
        return 0;
      } else {
        write_back();
        Timestamp now = backend_->clock_->now();
        size_t n = 0;
        for (auto c = backend_->store_.scan(column_); c.valid(); c.next()) {
          std::string_view v = c.value();
          if (v.size() < 8) continue;
          int64_t touched;
          std::memcpy(&touched, v.data() + v.size() - 8, 8);
          if (now - touched >= ttl_.ttl.count()) {
            backend_->store_.remove(column_, c.key());
            ++n;
          }
        }
        cached_.reset();
        return n;
      }
    }

   private:
    // Makes the current key the cached one (writing the previous one back); true when it
    // changed, in which case the cached value is undefined until set or loaded.
    bool select() {
      const K& key = *backend_->key_;
      if (cached_ && *cached_ == key) return false;
      write_back();
      cached_ = key;
      rocks_key_.clear();
      append_key_group(rocks_key_, runtime::key_group_of(key, backend_->max_parallelism_));
      StateWriter w(rocks_key_);
      write_value(w, key);
      return true;
    }
    void load() {
      if (!select()) return;
      present_ = backend_->store_.get(column_, rocks_key_, buffer_);
      if (present_) {
        StateReader r(buffer_);
        value_ = read_value<V>(r);
        if constexpr (kTtl) touched_ = r.i64();
      }
      dirty_ = false;
    }

    RocksDbKeyedStateBackend* backend_;
    int column_;
    StateTtlConfig ttl_;
    std::optional<K> cached_;  // the key whose value is cached
    std::string rocks_key_;    // its RocksDB key
    V value_{};
    bool present_ = false;
    bool dirty_ = false;
    Timestamp touched_ = 0;
    std::string buffer_;
  };

  RocksDbStore store_;
  bool native_ = false;
  std::unordered_map<std::string, std::unique_ptr<TableBase>> tables_;
  std::map<std::string, std::vector<std::pair<int, std::string_view>>> pending_;  // restored, not yet asked for
};

}  // namespace sluice::state
