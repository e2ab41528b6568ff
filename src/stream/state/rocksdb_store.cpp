#include "stream/state/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <cstdarg>
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

// Read-only opens of a checkpoint must not add a LOG file to it.
class NoLogger final : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

rocksdb::Options store_options(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::Options options(rocksdb::DBOptions(), column_options(cache));
  options.create_if_missing = true;
  options.max_background_jobs = 2;
  options.info_log_level = rocksdb::WARN_LEVEL;
  options.keep_log_file_num = 2;
  return options;
}

void link_or_copy(const fs::path& from, const fs::path& to, bool link) {
  std::error_code ec;
  if (link) {
    fs::create_hard_link(from, to, ec);
    if (!ec) return;
  }
  ec.clear();
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw std::runtime_error("RocksDB state: cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
}

}  // namespace

struct RocksDbStore::Impl {
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(64 << 20);
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> columns;
  std::vector<std::string> names;  // of columns[i]
  rocksdb::ColumnFamilyHandle* default_column = nullptr;  // when opened with descriptors
  std::unordered_map<std::string, int> by_name;

  void close() {
    if (!db) return;
    for (auto* c : columns) db->DestroyColumnFamilyHandle(c);
    if (default_column) db->DestroyColumnFamilyHandle(default_column);
    columns.clear();
    names.clear();
    by_name.clear();
    default_column = nullptr;
    batch.Clear();
    db->Close();
    db.reset();
  }
  rocksdb::WriteOptions write;
  rocksdb::ReadOptions read;
  rocksdb::WriteBatch batch;
};

RocksDbStore::RocksDbStore(std::string dir) : dir_(std::move(dir)), impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("RocksDB state: cannot create " + dir_ + ": " + ec.message());
  rocksdb::Options options = store_options(impl_->cache);
  rocksdb::DB* db = nullptr;
  check(rocksdb::DB::Open(options, dir_, &db), "open", dir_);
  impl_->db.reset(db);
  impl_->write.disableWAL = true;  // scratch: checkpoints make state durable
}

RocksDbStore::~RocksDbStore() {
  impl_->close();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

int RocksDbStore::column(const std::string& name) {
  auto it = impl_->by_name.find(name);
  if (it != impl_->by_name.end()) return it->second;
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  check(impl_->db->CreateColumnFamily(column_options(impl_->cache), name, &handle), "create column family " + name, dir_);
  impl_->columns.push_back(handle);
  impl_->names.push_back(name);
  int id = static_cast<int>(impl_->columns.size()) - 1;
  impl_->by_name.emplace(name, id);
  return id;
}

std::vector<std::pair<std::string, int>> RocksDbStore::columns() const {
  std::vector<std::pair<std::string, int>> out;
  for (size_t i = 0; i < impl_->names.size(); ++i) out.emplace_back(impl_->names[i], static_cast<int>(i));
  return out;
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

void RocksDbStore::open_copy_of(const std::string& checkpoint) {
  impl_->close();
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("RocksDB state: cannot create " + dir_ + ": " + ec.message());
  // SST files are never written again once made: a hard link shares them. Everything else
  // (MANIFEST is appended to, CURRENT replaced) is copied, so the checkpoint stays as it is.
  for (auto& e : fs::directory_iterator(checkpoint, ec)) {
    if (!e.is_regular_file()) continue;
    bool sst = e.path().extension() == ".sst";
    link_or_copy(e.path(), fs::path(dir_) / e.path().filename(), sst);
  }
  if (ec) throw std::runtime_error("RocksDB state: cannot read " + checkpoint + ": " + ec.message());
  rocksdb::Options options = store_options(impl_->cache);
  std::vector<std::string> names;
  check(rocksdb::DB::ListColumnFamilies(options, dir_, &names), "list column families", dir_);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (auto& n : names) descriptors.emplace_back(n, column_options(impl_->cache));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  check(rocksdb::DB::Open(options, dir_, descriptors, &handles, &db), "open a copy of " + checkpoint, dir_);
  impl_->db.reset(db);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == rocksdb::kDefaultColumnFamilyName) {
      impl_->default_column = handles[i];
      continue;
    }
    impl_->columns.push_back(handles[i]);
    impl_->names.push_back(names[i]);
    impl_->by_name.emplace(names[i], static_cast<int>(impl_->columns.size()) - 1);
  }
}

void RocksDbStore::read_checkpoint(const std::string& checkpoint, int first_group, int last_group, const EntryFn& entry) {
  auto cache = rocksdb::NewLRUCache(8 << 20);
  rocksdb::Options options = store_options(cache);
  options.create_if_missing = false;
  options.info_log = std::make_shared<NoLogger>();
  std::vector<std::string> names;
  check(rocksdb::DB::ListColumnFamilies(options, checkpoint, &names), "list column families", checkpoint);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (auto& n : names) descriptors.emplace_back(n, column_options(cache));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  check(rocksdb::DB::OpenForReadOnly(options, checkpoint, descriptors, &handles, &raw), "open read-only", checkpoint);
  std::unique_ptr<rocksdb::DB> db(raw);
  struct Handles {
    rocksdb::DB* db;
    std::vector<rocksdb::ColumnFamilyHandle*>& h;
    ~Handles() {
      for (auto* c : h) db->DestroyColumnFamilyHandle(c);
    }
  } guard{db.get(), handles};
  std::string start;
  start.push_back(static_cast<char>((first_group >> 8) & 0xff));
  start.push_back(static_cast<char>(first_group & 0xff));
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == rocksdb::kDefaultColumnFamilyName) continue;
    rocksdb::ReadOptions o;
    o.fill_cache = false;
    o.readahead_size = 2 << 20;
    o.verify_checksums = true;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(o, handles[i]));
    for (it->Seek(rocksdb::Slice(start)); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() < 2) continue;
      int group = (static_cast<uint8_t>(k[0]) << 8) | static_cast<uint8_t>(k[1]);
      if (group > last_group) break;
      rocksdb::Slice v = it->value();
      entry(names[i], std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()));
    }
    check(it->status(), "read", checkpoint);
  }
}

}  // namespace sluice::state
