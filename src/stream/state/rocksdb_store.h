// RocksDbStore: one embedded RocksDB database in a working directory of its own, with a
// column family per state — the untyped half of RocksDbKeyedStateBackend (keys and values
// are bytes here; rocksdb_keyed_state.h encodes them). Only rocksdb_store.cpp includes
// RocksDB's headers, so that every job's translation unit does not.
//
// The directory is scratch space: the store deletes whatever is there when it opens and
// removes it when destroyed; durability comes from checkpoints, so writes skip RocksDB's
// write-ahead log. Errors from RocksDB throw std::runtime_error with its status text. Not
// thread-safe: one operator subtask's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::state {

class RocksDbStore {
 public:
  explicit RocksDbStore(std::string dir);
  ~RocksDbStore();
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  const std::string& dir() const { return dir_; }

  // The column family named `name`, created on first use; a small integer handle.
  int column(const std::string& name);
  // Every column family but RocksDB's default one, with its handle (created, or found in a
  // database opened by open_copy_of).
  std::vector<std::pair<std::string, int>> columns() const;

  // Point reads and writes. get() returns false when the key is absent.
  bool get(int column, std::string_view key, std::string& value);
  void put(int column, std::string_view key, std::string_view value);
  void remove(int column, std::string_view key);

  // Bulk load (restore): puts gathered in one write batch, written when it passes a few
  // megabytes and by flush_batch().
  void batch_put(int column, std::string_view key, std::string_view value);
  void flush_batch();

  // Every entry of a column family in key order, as of the cursor's creation (RocksDB's
  // implicit snapshot). The views are valid until next() or the cursor's end.
  class Cursor {
   public:
    ~Cursor();
    Cursor(Cursor&&) noexcept;
    bool valid() const;
    std::string_view key() const;
    std::string_view value() const;
    void next();

   private:
    friend class RocksDbStore;
    struct Impl;
    explicit Cursor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
  };
  Cursor scan(int column);

  // Bytes of the working directory (SST files, memtable logs, metadata).
  uint64_t disk_bytes() const;
  // Writes the memtables to SST files.
  void flush();
  // RocksDB's own checkpoint: `dir` (which must not exist) gets hard links to the SST files
  // and copies of the rest, a database openable on its own.
  void checkpoint_to(const std::string& dir);

  // Replaces the working database by a copy of the checkpoint in `checkpoint` (made by
  // checkpoint_to; SST files hard-linked when on the same file system, the rest copied, so
  // the checkpoint is never written to), with its column families. Handles from column()
  // taken before are invalid.
  void open_copy_of(const std::string& checkpoint);

  // Reads a checkpoint made by checkpoint_to without changing it (RocksDB read-only mode):
  // calls `entry(column family, key, value)` for every entry of every column family whose
  // key starts with a 2-byte big-endian key group in [first_group, last_group], in key order.
  using EntryFn = std::function<void(const std::string& column, std::string_view key, std::string_view value)>;
  static void read_checkpoint(const std::string& checkpoint, int first_group, int last_group, const EntryFn& entry);

 private:
  struct Impl;
  std::string dir_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::state
