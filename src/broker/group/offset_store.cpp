#include "common/clock.h"
#include "broker/group/offset_store.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <system_error>

#include "broker/record_fields.h"
#include "common/byte_order.h"
#include "common/crc32c.h"

namespace sluice::broker::group {

using log::Errc;
using log::Status;

namespace {

constexpr size_t kFrameHeader = 8;                      // length, crc
constexpr uint32_t kMaxFrameBytes = 256u * 1024 * 1024;  // far above any real request

enum Kind : uint8_t { kCommit = 1, kRemove = 2, kRemoveGroup = 3, kRemoveTopic = 4 };

std::string frame(const std::string& payload) {
  std::string out(kFrameHeader, '\0');
  store_be<uint32_t>(out.data(), uint32_t(payload.size()));
  store_be<uint32_t>(out.data() + 4, crc32c(payload.data(), payload.size()));
  out += payload;
  return out;
}

void write_commit(RecordWriter& w, std::string_view group, const GroupOffsets& offsets) {
  w.fixed<uint8_t>(kCommit);
  w.str(group);
  w.fixed<uint32_t>(uint32_t(offsets.size()));
  for (const auto& [tp, v] : offsets) {
    w.str(tp.first);
    w.fixed<int32_t>(tp.second);
    w.fixed<int64_t>(v.offset);
    w.fixed<int32_t>(v.leader_epoch);
    w.fixed<int64_t>(v.commit_timestamp_ms);
    w.str(v.metadata);
  }
}

}  // namespace

OffsetStore::OffsetStore(std::filesystem::path path, log::FlushPolicy flush,
                         uint64_t compact_min_bytes)
    : path_(std::move(path)), flush_(flush), compact_min_bytes_(compact_min_bytes) {}

OffsetStore::OpenResult OffsetStore::open(const std::filesystem::path& dir,
                                          log::FlushPolicy flush, uint64_t compact_min_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return {log::io_error("cannot create", dir, ec.value()), nullptr};
  std::unique_ptr<OffsetStore> store(new OffsetStore(dir / "offsets.log", flush, compact_min_bytes));
  if (Status s = store->load(); !s.ok()) return {std::move(s), nullptr};
  return {Status::success(), std::move(store)};
}

Status OffsetStore::load() {
  Status status;
  std::error_code ec;
  if (std::filesystem::exists(path_, ec)) {
    auto file = log::open_file(path_, false, status);
    if (!file) return status;
    int64_t size = log::file_size(*file, status);
    if (size < 0) return status;
    std::string bytes(size_t(size), '\0');
    if (log::pread_full(*file, bytes.data(), bytes.size(), 0, status) != size)
      return status.ok() ? log::io_error("short read of", path_, EIO) : status;
    size_t pos = 0;
    size_t frames = 0;
    while (pos + kFrameHeader <= bytes.size()) {
      uint32_t len = load_be<uint32_t>(bytes.data() + pos);
      uint32_t crc = load_be<uint32_t>(bytes.data() + pos + 4);
      if (len > kMaxFrameBytes || pos + kFrameHeader + len > bytes.size()) break;
      std::string_view payload(bytes.data() + pos + kFrameHeader, len);
      if (crc32c(payload.data(), payload.size()) != crc) break;
      try {
        apply(payload);
      } catch (const TruncatedRecord&) {
        break;
      }
      pos += kFrameHeader + len;
      ++frames;
    }
    if (pos < bytes.size())
      spdlog::warn("{}: dropping {} byte(s) after the last whole frame (a write the crash cut "
                   "short, never acknowledged)",
                   path_.string(), bytes.size() - pos);
    spdlog::info("{}: {} frame(s), offsets of {} group(s) loaded", path_.string(), frames,
                 groups_.size());
  }
  return rewrite();
}

void OffsetStore::apply(std::string_view payload) {
  // Parse the whole frame before changing anything: a frame applies whole or not at all.
  RecordReader r(payload);
  auto kind = r.fixed<uint8_t>();
  switch (kind) {
    case kCommit: {
      std::string group = r.str();
      uint32_t n = r.fixed<uint32_t>();
      std::vector<Entry> entries;
      for (uint32_t i = 0; i < n; ++i) {
        Entry e;
        e.topic = r.str();
        e.partition = r.fixed<int32_t>();
        e.value.offset = r.fixed<int64_t>();
        e.value.leader_epoch = r.fixed<int32_t>();
        e.value.commit_timestamp_ms = r.fixed<int64_t>();
        e.value.metadata = r.str();
        entries.push_back(std::move(e));
      }
      if (!r.done()) throw TruncatedRecord{};
      auto& offsets = groups_[group];
      for (auto& e : entries) offsets[{std::move(e.topic), e.partition}] = std::move(e.value);
      if (offsets.empty()) groups_.erase(group);
      return;
    }
    case kRemove: {
      std::string group = r.str();
      uint32_t n = r.fixed<uint32_t>();
      std::vector<std::pair<std::string, int32_t>> parts;
      for (uint32_t i = 0; i < n; ++i) {
        std::string topic = r.str();
        parts.emplace_back(std::move(topic), r.fixed<int32_t>());
      }
      if (!r.done()) throw TruncatedRecord{};
      auto it = groups_.find(group);
      if (it == groups_.end()) return;
      for (const auto& p : parts) it->second.erase(p);
      if (it->second.empty()) groups_.erase(it);
      return;
    }
    case kRemoveGroup: {
      std::string group = r.str();
      if (!r.done()) throw TruncatedRecord{};
      groups_.erase(group);
      return;
    }
    case kRemoveTopic: {
      std::string topic = r.str();
      if (!r.done()) throw TruncatedRecord{};
      for (auto it = groups_.begin(); it != groups_.end();) {
        auto& offsets = it->second;
        for (auto o = offsets.lower_bound({topic, INT32_MIN});
             o != offsets.end() && o->first.first == topic;)
          o = offsets.erase(o);
        it = offsets.empty() ? groups_.erase(it) : std::next(it);
      }
      return;
    }
    default:
      throw TruncatedRecord{};  // unknown kind: treated as corruption
  }
}

Status OffsetStore::rewrite() {
  std::string bytes;
  for (const auto& [group, offsets] : groups_) {
    RecordWriter w;
    write_commit(w, group, offsets);
    bytes += frame(w.out);
  }
  auto tmp = path_;
  tmp += ".tmp";
  if (Status s = log::write_file_atomically(path_, tmp, bytes); !s.ok()) return s;
  Status status;
  auto file = log::open_file(path_, false, status);
  if (!file) return status;
  file_ = std::move(file);
  file_bytes_ = bytes.size();
  compact_at_bytes_ = std::max<uint64_t>(compact_min_bytes_, 4 * file_bytes_);
  unflushed_since_ms_ = -1;
  return Status::success();
}

Status OffsetStore::append(const std::string& payload) {
  if (!file_) return Status::error(Errc::kStorageError, path_.string() + " is not open");
  std::string bytes = frame(payload);
  Status s = log::pwrite_all(*file_, bytes.data(), bytes.size(), file_bytes_);
  if (s.ok() && flush_.kind == log::FlushPolicy::kEveryBatch) s = log::sync_file(*file_);
  if (!s.ok()) {
    (void)log::truncate_file(*file_, file_bytes_);  // nothing half-written stays behind
    spdlog::error("offsets not stored: {}", s.message);
    return s;
  }
  file_bytes_ += bytes.size();
  if (flush_.kind != log::FlushPolicy::kEveryBatch && unflushed_since_ms_ < 0)
    unflushed_since_ms_ = wall_clock_ms();
  apply(payload);
  if (file_bytes_ >= compact_at_bytes_) {
    if (Status c = rewrite(); !c.ok())
      spdlog::warn("cannot compact {}: {} (it keeps growing; will retry)", path_.string(),
                   c.message);
    else
      spdlog::debug("compacted {} to {} bytes", path_.string(), file_bytes_);
  }
  return Status::success();
}

Status OffsetStore::commit(std::string_view group, const std::vector<Entry>& entries) {
  if (entries.empty()) return Status::success();
  GroupOffsets offsets;
  for (const auto& e : entries) offsets[{e.topic, e.partition}] = e.value;
  RecordWriter w;
  write_commit(w, group, offsets);
  return append(w.out);
}

Status OffsetStore::remove(std::string_view group,
                           const std::vector<std::pair<std::string, int32_t>>& partitions) {
  if (partitions.empty() || !has_group(group)) return Status::success();
  RecordWriter w;
  w.fixed<uint8_t>(kRemove);
  w.str(group);
  w.fixed<uint32_t>(uint32_t(partitions.size()));
  for (const auto& [topic, p] : partitions) {
    w.str(topic);
    w.fixed<int32_t>(p);
  }
  return append(w.out);
}

Status OffsetStore::remove_group(std::string_view group) {
  if (!has_group(group)) return Status::success();
  RecordWriter w;
  w.fixed<uint8_t>(kRemoveGroup);
  w.str(group);
  return append(w.out);
}

Status OffsetStore::remove_topic(std::string_view topic) {
  bool any = false;
  for (const auto& [g, offsets] : groups_) {
    auto o = offsets.lower_bound({std::string(topic), INT32_MIN});
    any |= o != offsets.end() && o->first.first == topic;
  }
  if (!any) return Status::success();
  RecordWriter w;
  w.fixed<uint8_t>(kRemoveTopic);
  w.str(topic);
  return append(w.out);
}

const GroupOffsets* OffsetStore::group_offsets(std::string_view group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

const GroupOffsets* OffsetStore::group(std::string_view group) const {
  return group_offsets(group);
}

const CommittedOffset* OffsetStore::find(std::string_view group, const std::string& topic,
                                         int32_t partition) const {
  const GroupOffsets* offsets = group_offsets(group);
  if (!offsets) return nullptr;
  auto it = offsets->find({topic, partition});
  return it == offsets->end() ? nullptr : &it->second;
}

std::vector<std::string> OffsetStore::groups() const {
  std::vector<std::string> out;
  for (const auto& [g, offsets] : groups_) out.push_back(g);
  return out;
}

Status OffsetStore::flush() {
  if (unflushed_since_ms_ < 0 || !file_) return Status::success();
  Status s = log::sync_file(*file_);
  if (s.ok()) unflushed_since_ms_ = -1;
  return s;
}

Status OffsetStore::flush_if_due(int64_t now_ms) {
  if (unflushed_since_ms_ < 0 || now_ms - unflushed_since_ms_ < flush_.interval.count())
    return Status::success();
  return flush();
}

std::shared_ptr<log::FileHandle> OffsetStore::take_due_flush(int64_t now_ms) {
  if (unflushed_since_ms_ < 0 || !file_ || now_ms - unflushed_since_ms_ < flush_.interval.count())
    return nullptr;
  unflushed_since_ms_ = -1;
  return file_;
}

}  // namespace sluice::broker::group
