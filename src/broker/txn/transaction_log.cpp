#include "broker/txn/transaction_log.h"

#include <spdlog/spdlog.h>

#include "broker/record_fields.h"
#include "common/byte_order.h"
#include "common/clock.h"
#include "common/crc32c.h"

namespace sluice::broker::txn {

using log::Errc;
using log::Status;

namespace {

constexpr size_t kFrameHeader = 8;
constexpr uint32_t kMaxFrameBytes = 64u * 1024 * 1024;
constexpr uint8_t kVersion = 1;

std::string frame(const std::string& payload) {
  std::string out(kFrameHeader, '\0');
  store_be<uint32_t>(out.data(), uint32_t(payload.size()));
  store_be<uint32_t>(out.data() + 4, crc32c(payload.data(), payload.size()));
  return out + payload;
}

}  // namespace

std::string_view state_name(TxnState s) {
  switch (s) {
    case TxnState::kEmpty: return "Empty";
    case TxnState::kOngoing: return "Ongoing";
    case TxnState::kPrepareCommit: return "PrepareCommit";
    case TxnState::kPrepareAbort: return "PrepareAbort";
    case TxnState::kCompleteCommit: return "CompleteCommit";
    case TxnState::kCompleteAbort: return "CompleteAbort";
  }
  return "Unknown";
}

std::optional<TxnState> parse_state(std::string_view name) {
  for (int i = 0; i <= int(TxnState::kCompleteAbort); ++i)
    if (state_name(TxnState(i)) == name) return TxnState(i);
  return std::nullopt;
}

std::string TransactionLog::serialize(const TransactionMetadata& t) {
  RecordWriter w;
  w.fixed<uint8_t>(kVersion);
  w.str(t.transactional_id);
  w.fixed<int64_t>(t.producer_id);
  w.fixed<int16_t>(t.producer_epoch);
  w.fixed<int32_t>(t.timeout_ms);
  w.fixed<uint8_t>(uint8_t(t.state));
  w.fixed<int64_t>(t.start_ms);
  w.fixed<int64_t>(t.last_update_ms);
  w.fixed<uint32_t>(uint32_t(t.partitions.size()));
  for (const auto& [topic, p] : t.partitions) {
    w.str(topic);
    w.fixed<int32_t>(p);
  }
  w.fixed<uint32_t>(uint32_t(t.groups.size()));
  for (const auto& g : t.groups) w.str(g);
  w.fixed<uint32_t>(uint32_t(t.pending_offsets.size()));
  for (const auto& [group, offsets] : t.pending_offsets) {
    w.str(group);
    w.fixed<uint32_t>(uint32_t(offsets.size()));
    for (const auto& [tp, o] : offsets) {
      w.str(tp.first);
      w.fixed<int32_t>(tp.second);
      w.fixed<int64_t>(o.offset);
      w.fixed<int32_t>(o.leader_epoch);
      w.str(o.metadata);
    }
  }
  return std::move(w.out);
}

std::optional<TransactionMetadata> TransactionLog::parse(std::string_view payload) {
  try {
    RecordReader r(payload);
    if (r.fixed<uint8_t>() != kVersion) return std::nullopt;
    TransactionMetadata t;
    t.transactional_id = r.str();
    t.producer_id = r.fixed<int64_t>();
    t.producer_epoch = r.fixed<int16_t>();
    t.timeout_ms = r.fixed<int32_t>();
    const uint8_t state = r.fixed<uint8_t>();
    if (state > uint8_t(TxnState::kCompleteAbort)) return std::nullopt;
    t.state = TxnState(state);
    t.start_ms = r.fixed<int64_t>();
    t.last_update_ms = r.fixed<int64_t>();
    for (uint32_t i = 0, n = r.count(8); i < n; ++i) {
      std::string topic = r.str();
      t.partitions.emplace(std::move(topic), r.fixed<int32_t>());
    }
    for (uint32_t i = 0, n = r.count(4); i < n; ++i) t.groups.insert(r.str());
    for (uint32_t i = 0, n = r.count(8); i < n; ++i) {
      std::string group = r.str();
      auto& offsets = t.pending_offsets[group];
      for (uint32_t j = 0, m = r.count(24); j < m; ++j) {
        std::string topic = r.str();
        int32_t p = r.fixed<int32_t>();
        PendingOffset o;
        o.offset = r.fixed<int64_t>();
        o.leader_epoch = r.fixed<int32_t>();
        o.metadata = r.str();
        offsets[{std::move(topic), p}] = std::move(o);
      }
    }
    if (!r.done()) return std::nullopt;
    return t;
  } catch (const TruncatedRecord&) {
    return std::nullopt;
  }
}

TransactionLog::TransactionLog(std::filesystem::path path, log::FlushPolicy flush,
                               uint64_t compact_min_bytes)
    : path_(std::move(path)), flush_(flush), compact_min_bytes_(compact_min_bytes) {}

TransactionLog::OpenResult TransactionLog::open(const std::filesystem::path& dir,
                                                log::FlushPolicy flush,
                                                uint64_t compact_min_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return {log::io_error("cannot create", dir, ec.value()), nullptr};
  std::unique_ptr<TransactionLog> store(
      new TransactionLog(dir / "transactions.log", flush, compact_min_bytes));
  if (Status s = store->load(); !s.ok()) return {std::move(s), nullptr};
  return {Status::success(), std::move(store)};
}

Status TransactionLog::load() {
  Status status;
  std::error_code ec;
  if (std::filesystem::exists(path_, ec)) {
    auto file = log::open_file(path_, false, status);
    if (!file) return status;
    int64_t size = log::file_size(*file, status);
    if (size < 0) return status;
    std::string bytes(size_t(size), '\0');
    if (size > 0 && log::pread_full(*file, bytes.data(), bytes.size(), 0, status) != size)
      return status.ok() ? log::io_error("short read of", path_, EIO) : status;
    size_t pos = 0, frames = 0;
    while (pos + kFrameHeader <= bytes.size()) {
      uint32_t len = load_be<uint32_t>(bytes.data() + pos);
      uint32_t crc = load_be<uint32_t>(bytes.data() + pos + 4);
      if (len > kMaxFrameBytes || pos + kFrameHeader + len > bytes.size()) break;
      std::string_view payload(bytes.data() + pos + kFrameHeader, len);
      if (crc32c(payload.data(), payload.size()) != crc) break;
      auto txn = parse(payload);
      if (!txn) break;
      txns_[txn->transactional_id] = std::move(*txn);
      pos += kFrameHeader + len;
      ++frames;
    }
    if (pos < bytes.size())
      spdlog::warn("{}: dropping {} byte(s) after the last whole frame (a write a crash cut "
                   "short, never acknowledged)",
                   path_.string(), bytes.size() - pos);
    spdlog::info("{}: {} frame(s), {} transactional id(s) loaded", path_.string(), frames,
                 txns_.size());
  }
  return rewrite();
}

Status TransactionLog::rewrite() {
  std::string bytes;
  for (const auto& [id, txn] : txns_) bytes += frame(serialize(txn));
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

Status TransactionLog::write(const TransactionMetadata& txn) {
  if (!file_) return Status::error(Errc::kStorageError, path_.string() + " is not open");
  std::string bytes = frame(serialize(txn));
  Status s = log::pwrite_all(*file_, bytes.data(), bytes.size(), file_bytes_);
  if (s.ok() && flush_.kind == log::FlushPolicy::kEveryBatch) s = log::sync_file(*file_);
  if (!s.ok()) {
    (void)log::truncate_file(*file_, file_bytes_);
    spdlog::error("transaction state of '{}' not stored: {}", txn.transactional_id, s.message);
    return s;
  }
  file_bytes_ += bytes.size();
  if (flush_.kind != log::FlushPolicy::kEveryBatch && unflushed_since_ms_ < 0)
    unflushed_since_ms_ = wall_clock_ms();
  txns_[txn.transactional_id] = txn;
  if (file_bytes_ >= compact_at_bytes_) {
    if (Status c = rewrite(); !c.ok())
      spdlog::warn("cannot compact {}: {} (will retry)", path_.string(), c.message);
  }
  return Status::success();
}

Status TransactionLog::flush() {
  if (unflushed_since_ms_ < 0 || !file_) return Status::success();
  Status s = log::sync_file(*file_);
  if (s.ok()) unflushed_since_ms_ = -1;
  return s;
}

Status TransactionLog::flush_if_due(int64_t now_ms) {
  if (unflushed_since_ms_ < 0 || now_ms - unflushed_since_ms_ < flush_.interval.count())
    return Status::success();
  return flush();
}

}  // namespace sluice::broker::txn
