#include "log/aborted_txn_index.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/byte_order.h"
#include "common/crc32c.h"

namespace sluice::log {
namespace {

std::string encode(const AbortedTxn& t) {
  std::string out(AbortedTxnIndex::kEntryBytes, '\0');
  store_be<int64_t>(out.data(), t.producer_id);
  store_be<int64_t>(out.data() + 8, t.first_offset);
  store_be<int64_t>(out.data() + 16, t.last_offset);
  store_be<uint32_t>(out.data() + 24, crc32c(out.data(), 24));
  return out;
}

}  // namespace

std::unique_ptr<AbortedTxnIndex> AbortedTxnIndex::open(const std::filesystem::path& dir,
                                                       int64_t log_end_offset, Status& status) {
  std::unique_ptr<AbortedTxnIndex> index(new AbortedTxnIndex(dir / kFileName));
  index->file_ = open_file(index->path_, true, status);
  if (!index->file_) return nullptr;
  const int64_t size = file_size(*index->file_, status);
  if (size < 0) return nullptr;
  std::string bytes(size_t(size), '\0');
  if (size > 0 && pread_full(*index->file_, bytes.data(), bytes.size(), 0, status) != size) {
    if (status.ok()) status = io_error("short read of", index->path_, EIO);
    return nullptr;
  }
  size_t pos = 0;
  for (; pos + kEntryBytes <= bytes.size(); pos += kEntryBytes) {
    const char* p = bytes.data() + pos;
    if (load_be<uint32_t>(p + 24) != crc32c(p, 24)) break;
    AbortedTxn t{load_be<int64_t>(p), load_be<int64_t>(p + 8), load_be<int64_t>(p + 16)};
    if (t.last_offset >= log_end_offset) break;  // markers in order: the rest is gone too
    if (!index->entries_.empty() && t.last_offset <= index->entries_.back().last_offset) break;
    index->entries_.push_back(t);
  }
  if (pos != bytes.size()) {
    spdlog::warn("{}: dropping {} byte(s) of entries past the log end or torn by a crash",
                 index->path_.string(), bytes.size() - pos);
    if (Status s = truncate_file(*index->file_, pos); !s.ok()) {
      status = s;
      return nullptr;
    }
    if (Status s = sync_file(*index->file_); !s.ok()) {
      status = s;
      return nullptr;
    }
  }
  status = Status::success();
  return index;
}

bool AbortedTxnIndex::contains_marker(int64_t last_offset) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), last_offset,
                             [](const AbortedTxn& t, int64_t o) { return t.last_offset < o; });
  return it != entries_.end() && it->last_offset == last_offset;
}

Status AbortedTxnIndex::append(const AbortedTxn& txn) {
  if (contains_marker(txn.last_offset)) return Status::success();
  if (!entries_.empty() && txn.last_offset < entries_.back().last_offset)
    return Status::error(Errc::kCorruptBatch,
                         path_.string() + ": abort marker at " + std::to_string(txn.last_offset) +
                             " is before the last indexed one");
  const std::string bytes = encode(txn);
  const uint64_t at = entries_.size() * kEntryBytes;
  if (Status s = pwrite_all(*file_, bytes.data(), bytes.size(), at); !s.ok()) {
    (void)truncate_file(*file_, at);
    return s;
  }
  entries_.push_back(txn);
  dirty_ = true;
  return Status::success();
}

Status AbortedTxnIndex::sync() {
  if (!dirty_) return Status::success();
  Status s = sync_file(*file_);
  if (s.ok()) dirty_ = false;
  return s;
}

std::vector<AbortedTxn> AbortedTxnIndex::overlapping(int64_t from, int64_t upper) const {
  std::vector<AbortedTxn> out;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), from,
                             [](const AbortedTxn& t, int64_t o) { return t.last_offset < o; });
  for (; it != entries_.end(); ++it)
    if (it->first_offset < upper) out.push_back(*it);
  return out;
}

}  // namespace sluice::log
