#include "stream/state/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace sluice::state {

namespace fs = std::filesystem;

namespace {

constexpr size_t kBatchBytes = 4 << 20;

void check(const rocksdb::Status& s, const std::string& what, const std::string& dir) {
  if (!s.ok()) throw std::runtime_error("RocksDB state in " + dir + ": " + what + ": " + s.ToString());
}

rocksdb::Slice slice(std::string_view v) { return rocksdb::Slice(v.data(), v.size()); }

rocksdb::ColumnFamilyOptions column_options(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  // A record of a key never seen must not cost a disk read: bloom filters answer "absent".
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  t.whole_key_filtering = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.write_buffer_size = 32 << 20;
  // The first access of a key misses: a whole-key bloom filter on the memtable answers that
  // without a skiplist search (the dominant cost of a miss while the state fits in memtables).
  o.memtable_prefix_bloom_size_ratio = 0.1;
  o.memtable_whole_key_filtering = true;
  o.compression = rocksdb::kLZ4Compression;
  return o;
}

}  // namespace

struct RocksDbStore::Impl {
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(64 << 20);
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> columns;
  std::unordered_map<std::string, int> by_name;
  rocksdb::WriteOptions write;
  rocksdb::ReadOptions read;
  rocksdb::WriteBatch batch;
};

RocksDbStore::RocksDbStore(std::string dir) : dir_(std::move(dir)), impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("RocksDB state: cannot create " + dir_ + ": " + ec.message());
  rocksdb::Options options(rocksdb::DBOptions(), column_options(impl_->cache));
  options.create_if_missing = true;
  options.max_background_jobs = 2;
  options.info_log_level = rocksdb::WARN_LEVEL;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  check(rocksdb::DB::Open(options, dir_, &db), "open", dir_);
  impl_->db.reset(db);
  impl_->write.disableWAL = true;  // scratch: checkpoints make state durable
}

RocksDbStore::~RocksDbStore() {
  if (impl_->db) {
    for (auto* c : impl_->columns) impl_->db->DestroyColumnFamilyHandle(c);
    impl_->db->Close();
    impl_->db.reset();
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

int RocksDbStore::column(const std::string& name) {
  auto it = impl_->by_name.find(name);
  if (it != impl_->by_name.end()) return it->second;
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  check(impl_->db->CreateColumnFamily(column_options(impl_->cache), name, &handle), "create column family " + name, dir_);
  impl_->columns.push_back(handle);
  int id = static_cast<int>(impl_->columns.size()) - 1;
  impl_->by_name.emplace(name, id);
  return id;
}

bool RocksDbStore::get(int column, std::string_view key, std::string& value) {
  rocksdb::Status s = impl_->db->Get(impl_->read, impl_->columns[column], slice(key), &value);
  if (s.IsNotFound()) return false;
  check(s, "get", dir_);
  return true;
}

void RocksDbStore::put(int column, std::string_view key, std::string_view value) {
  check(impl_->db->Put(impl_->write, impl_->columns[column], slice(key), slice(value)), "put", dir_);
}

void RocksDbStore::remove(int column, std::string_view key) {
  check(impl_->db->Delete(impl_->write, impl_->columns[column], slice(key)), "delete", dir_);
}

void RocksDbStore::batch_put(int column, std::string_view key, std::string_view value) {
  check(impl_->batch.Put(impl_->columns[column], slice(key), slice(value)), "batch put", dir_);
  if (impl_->batch.GetDataSize() >= kBatchBytes) flush_batch();
}

void RocksDbStore::flush_batch() {
  if (impl_->batch.Count() == 0) return;
  check(impl_->db->Write(impl_->write, &impl_->batch), "write batch", dir_);
  impl_->batch.Clear();
}

struct RocksDbStore::Cursor::Impl {
  std::unique_ptr<rocksdb::Iterator> it;
};

RocksDbStore::Cursor::Cursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksDbStore::Cursor::~Cursor() = default;
RocksDbStore::Cursor::Cursor(Cursor&&) noexcept = default;
bool RocksDbStore::Cursor::valid() const {
  if (impl_->it->Valid()) return true;
  if (!impl_->it->status().ok()) throw std::runtime_error("RocksDB state: scan: " + impl_->it->status().ToString());
  return false;
}
std::string_view RocksDbStore::Cursor::key() const {
  rocksdb::Slice s = impl_->it->key();
  return {s.data(), s.size()};
}
std::string_view RocksDbStore::Cursor::value() const {
  rocksdb::Slice s = impl_->it->value();
  return {s.data(), s.size()};
}
void RocksDbStore::Cursor::next() { impl_->it->Next(); }

RocksDbStore::Cursor RocksDbStore::scan(int column) {
  rocksdb::ReadOptions o;
  o.fill_cache = false;  // a whole-table scan would evict the working set
  o.readahead_size = 2 << 20;
  auto impl = std::make_unique<Cursor::Impl>();
  impl->it.reset(impl_->db->NewIterator(o, impl_->columns[column]));
  impl->it->SeekToFirst();
  return Cursor(std::move(impl));
}

uint64_t RocksDbStore::disk_bytes() const {
  uint64_t n = 0;
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir_, ec))
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  return n;
}

void RocksDbStore::flush() {
  rocksdb::FlushOptions o;
  o.wait = true;
  if (impl_->columns.empty()) return;
  check(impl_->db->Flush(o, impl_->columns), "flush", dir_);
}

void RocksDbStore::checkpoint_to(const std::string& dir) {
  flush_batch();
  flush();  // no write-ahead log: what is only in memtables must reach SST files first
  rocksdb::Checkpoint* raw = nullptr;
  check(rocksdb::Checkpoint::Create(impl_->db.get(), &raw), "checkpoint", dir_);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  check(checkpoint->CreateCheckpoint(dir), "checkpoint to " + dir, dir_);
}

}  // namespace sluice::state
