#include "log/partition_log.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>

#include "common/batch_header.h"
#include "common/clock.h"
#include "log/batch_scanner.h"
#include "log/control_record.h"
#include "log/record_timestamps.h"

namespace sluice::log {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

std::atomic<uint64_t> next_log_id{1};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

ProducerBatch producer_batch(const BatchInfo& b) {
  return {
      .producer_id = b.producer_id,
      .producer_epoch = b.producer_epoch,
      .first_sequence = b.base_sequence,
      .last_sequence = increment_sequence(b.base_sequence, int32_t(b.last_offset - b.base_offset)),
      .first_offset = b.base_offset,
      .last_offset = b.last_offset,
      .max_timestamp = b.max_timestamp,
      .control = b.control,
      .transactional = b.transactional};
}

}  // namespace

PartitionLog::PartitionLog(std::filesystem::path dir, LogConfig config)
    : dir_(std::move(dir)), id_(next_log_id.fetch_add(1)), config_(std::move(config)) {}

PartitionLog::~PartitionLog() {
  if (closed_) return;
  Status s = close();
  if (!s.ok()) spdlog::error("closing the log in {}: {}", dir_.string(), s.message);
}

PartitionLog::OpenResult PartitionLog::open(const std::filesystem::path& dir, LogConfig config) {
  std::unique_ptr<PartitionLog> log(new PartitionLog(dir, std::move(config)));
  Status status = log->load();
  if (!status.ok()) return {std::move(status), nullptr};
  return {Status::success(), std::move(log)};
}

Status PartitionLog::load() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return io_error("cannot create log directory", dir_, ec.value());

  std::set<int64_t> bases, snapshots;
  std::vector<std::filesystem::path> index_files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;
    if (ends_with(name, ".tmp")) {  // an interrupted atomic index write
      std::filesystem::remove(entry.path(), ec);
      continue;
    }
    const std::string stem = entry.path().stem().string();
    const std::string ext = entry.path().extension().string();
    auto base = Segment::parse_file_stem(stem);
    if (!base) continue;
    if (ext == Segment::kLogSuffix)
      bases.insert(*base);
    else if (ext == kSnapshotSuffix)
      snapshots.insert(*base);
    else if (ext == Segment::kIndexSuffix || ext == Segment::kTimeIndexSuffix)
      index_files.push_back(entry.path());
  }
  if (ec) return io_error("cannot list log directory", dir_, ec.value());
  for (const auto& index : index_files) {  // indexes whose segment is gone
    auto base = Segment::parse_file_stem(index.stem().string());
    if (!bases.count(*base)) {
      spdlog::info("removing orphan index file {}", index.string());
      std::filesystem::remove(index, ec);
    }
  }

  const int32_t interval = config_.index_interval_bytes;
  Status status;
  if (bases.empty()) {
    auto first = Segment::create(dir_, 0, interval, status);
    if (!first) return status;
    segments_.emplace(0, std::move(first));
    if (status = sync_dir(dir_); !status.ok()) return status;
  } else {
    for (auto it = bases.begin(); it != bases.end(); ++it) {
      auto next = std::next(it);
      std::unique_ptr<Segment> segment =
          next == bases.end() ? Segment::recover_active(dir_, *it, interval, status)
                              : Segment::open_sealed(dir_, *it, *next, interval, status);
      if (!segment) return status;
      segments_.emplace(*it, std::move(segment));
    }
  }
  for (const auto& [base, segment] : segments_) size_bytes_ += segment->size();
  aborted_ = AbortedTxnIndex::open(dir_, log_end_offset(), status);
  if (!aborted_) return status;
  if (Status s = load_producer_state(snapshots); !s.ok()) return s;
  high_watermark_ = log_end_offset();  // what recovery kept is what the disk holds
  spdlog::debug("opened log {}: offsets [{}, {}), {} segment(s), {} bytes", dir_.string(),
                log_start_offset(), log_end_offset(), segments_.size(), size_bytes_);
  return Status::success();
}

std::filesystem::path PartitionLog::snapshot_path(int64_t offset) const {
  return dir_ / (Segment::file_stem(offset) + kSnapshotSuffix);
}

Status PartitionLog::load_producer_state(const std::set<int64_t>& snapshots) {
  const int64_t start = log_start_offset(), end = log_end_offset();
  const int64_t now = wall_clock_ms();
  int64_t from = start;
  std::optional<int64_t> loaded;
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    const auto path = snapshot_path(*it);
    std::string problem;
    if (*it > end) {
      problem = "it is past the log end offset " + std::to_string(end);
    } else {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      if (!in) {
        problem = "it cannot be read";
      } else if (auto snap = ProducerState::parse(std::move(bytes).str(), problem)) {
        if (snap->offset == *it) {
          producers_ = std::move(snap->state);
          loaded = *it;
          from = std::max(*it, start);
          break;
        }
        problem = "it names offset " + std::to_string(snap->offset);
      }
    }
    spdlog::warn("log {}: ignoring and removing producer state snapshot {}: {}", dir_.string(),
                 path.filename().string(), problem);
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  for (int64_t offset : snapshots)
    if (loaded && offset <= *loaded) snapshots_.insert(offset);

  // The batches after the snapshot (all of them without one).
  size_t scanned = 0;
  for (auto it = std::prev(segments_.upper_bound(from)); it != segments_.end(); ++it) {
    const Segment& segment = *it->second;
    if (segment.next_offset() <= from) continue;
    Segment::HeaderCursor cursor(
        segment, from > segment.base_offset() ? segment.scan_start_for_offset(from) : 0);
    Status status;
    while (auto batch = cursor.next(status)) {
      if (batch->last_offset < from || batch->producer_id < 0) continue;
      ProducerBatch pb = producer_batch(*batch);
      if (pb.control) {  // a transaction marker: commit or abort?
        std::vector<uint8_t> bytes;
        if (Status rs = segment.read_bytes(batch->position, batch->size, bytes); !rs.ok())
          return rs;
        auto type = control_type(bytes);
        if (!type) {
          spdlog::warn("log {}: control batch at {} has no readable marker; skipped",
                       dir_.string(), batch->base_offset);
          continue;
        }
        pb.abort = *type == ControlType::kAbort;
      }
      if (auto done = producers_.apply(pb, now); done && done->aborted) {
        if (Status as = aborted_->append({done->producer_id, done->first_offset,
                                          done->last_offset});
            !as.ok())
          spdlog::error("log {}: cannot index the aborted transaction at {}: {}", dir_.string(),
                        done->last_offset, as.message);
      }
      ++scanned;
    }
    if (status.code == Errc::kStorageError) return status;
    if (!status.ok())
      spdlog::error("log {}: producer state misses the batches after a bad header: {}",
                    dir_.string(), status.message);
  }
  if (!producers_.empty())
    spdlog::info("log {}: {} producer id(s) from {} and {} idempotent batch(es) in [{}, {})",
                 dir_.string(), producers_.size(),
                 loaded ? "the snapshot at " + std::to_string(*loaded) : std::string("no snapshot"),
                 scanned, from, end);
  return Status::success();
}

void PartitionLog::write_producer_snapshot() {
  const int64_t offset = log_end_offset();
  if (!snapshots_.empty() && *snapshots_.rbegin() == offset) return;  // unchanged since
  // An empty log is scanned at no cost: spare the fsyncs (brokers with many partitions).
  if (producers_.empty() && log_start_offset() == offset) return;
  // The snapshot means "no need to scan before here": the aborted index must be durable.
  if (Status s = aborted_->sync(); !s.ok()) {
    spdlog::warn("log {}: {} (no producer state snapshot written)", dir_.string(), s.message);
    return;
  }
  const auto path = snapshot_path(offset);
  auto tmp = path;
  tmp += ".tmp";
  Status s = write_file_atomically(path, tmp, producers_.serialize(offset));
  if (!s.ok()) {
    spdlog::warn("log {}: {} (the next open scans the log for producer state instead)",
                 dir_.string(), s.message);
    return;
  }
  snapshots_.insert(offset);
  while (snapshots_.size() > 2) {
    std::error_code ec;
    std::filesystem::remove(snapshot_path(*snapshots_.begin()), ec);
    if (ec)
      spdlog::warn("log {}: cannot remove old snapshot {}: {}", dir_.string(),
                   snapshot_path(*snapshots_.begin()).string(), ec.message());
    snapshots_.erase(snapshots_.begin());
  }
}

Status PartitionLog::closed_error() const {
  return Status::error(Errc::kStorageError, "the log in " + dir_.string() + " is closed");
}

int64_t PartitionLog::log_start_offset() const {
  return segments_.empty() ? 0 : segments_.begin()->first;
}

int64_t PartitionLog::log_end_offset() const {
  return segments_.empty() ? 0 : active().next_offset();
}

uint64_t PartitionLog::size_bytes() const {
  return size_bytes_;
}

Status PartitionLog::roll(int64_t now_ms) {
  Status status = active().seal();
  if (!status.ok()) return status;
  const int64_t base = log_end_offset();
  auto segment = Segment::create(dir_, base, config_.index_interval_bytes, status);
  if (!segment) return status;
  segments_.emplace(base, std::move(segment));
  active_since_ms_ = -1;
  unflushed_since_ms_ = -1;  // seal() synced the previous segment
  high_watermark_ = base;
  status = sync_dir(dir_);
  if (!status.ok()) spdlog::warn("{} (the new segment may vanish on power loss)", status.message);
  write_producer_snapshot();  // a crash then rescans the active segment only
  spdlog::debug("log {}: rolled a new segment at offset {}", dir_.string(), base);
  return Status::success();
}

AppendResult PartitionLog::append(std::span<uint8_t> batches, int64_t now_ms) {
  return append(batches, now_ms, false);
}

AppendResult PartitionLog::append_deferred(std::span<uint8_t> batches, int64_t now_ms) {
  return append(batches, now_ms, true);
}

AppendResult PartitionLog::append(std::span<uint8_t> batches, int64_t now_ms, bool deferred) {
  if (closed_) return {closed_error()};
  if (!failure_.ok()) return {failure_};
  if (batches.empty()) return {Status::error(Errc::kCorruptBatch, "no record batch to append")};
  if (batches.size() > uint64_t(kInt32Max))
    return {Status::error(Errc::kMessageTooLarge,
                          std::to_string(batches.size()) + " bytes in one append exceed 2 GiB")};

  // Frame the batches and check what offset assignment and the indexes rely on.
  std::vector<BatchInfo> infos;
  int64_t records = 0;
  for (size_t pos = 0; pos < batches.size();) {
    std::string why = check_batch_header(batches.data() + pos, batches.size() - pos);
    if (!why.empty())
      return {Status::error(Errc::kCorruptBatch,
                            "record batch at byte " + std::to_string(pos) + ": " + why)};
    BatchHeaderView h(batches.data() + pos);
    if (int64_t(h.total_size()) > int64_t(config_.max_message_bytes))
      return {Status::error(Errc::kMessageTooLarge,
                            "record batch of " + std::to_string(h.total_size()) +
                                " bytes exceeds max.message.bytes (" +
                                std::to_string(config_.max_message_bytes) + ")")};
    infos.push_back(batch_info(batches.data() + pos, pos));
    records += int64_t(h.last_offset_delta()) + 1;
    pos += h.total_size();
  }

  // Idempotent producers: refuse out-of-order batches, acknowledge retries unappended.
  std::vector<ProducerBatch> producer_batches;
  for (const auto& info : infos) {
    if (info.producer_id < 0) continue;
    if (producer_batches.empty()) producer_batches.reserve(infos.size());
    producer_batches.push_back(producer_batch(info));
    if (info.control) {
      auto type = control_type(batches.subspan(info.position, info.size));
      if (!type)
        return {Status::error(Errc::kCorruptBatch, "control batch at byte " +
                                                       std::to_string(info.position) +
                                                       " holds no commit or abort marker")};
      producer_batches.back().abort = *type == ControlType::kAbort;
    }
  }
  if (!producer_batches.empty()) {
    ProducerCheck verdict = producers_.check(producer_batches);
    if (verdict.kind == ProducerCheck::kRejected) return {std::move(verdict.status)};
    if (verdict.kind == ProducerCheck::kDuplicate) {
      AppendResult dup{Status::success(), verdict.original.first_offset,
                       verdict.original.last_offset, -1};
      dup.duplicate = true;
      return dup;
    }
  }

  Segment* segment = &active();
  const bool too_big = segment->size() + batches.size() > uint64_t(config_.segment_bytes) ||
                       segment->size() + batches.size() > uint64_t(kInt32Max);
  const bool too_old = active_since_ms_ >= 0 && now_ms - active_since_ms_ >= config_.segment_ms;
  const bool offsets_overflow = log_end_offset() + records - 1 - segment->base_offset() > kInt32Max;
  if (!segment->empty() && (too_big || too_old || offsets_overflow)) {
    if (Status s = roll(now_ms); !s.ok()) return {std::move(s)};
    segment = &active();
  }

  int64_t next = log_end_offset();
  const int64_t first = next;
  for (auto& info : infos) {
    BatchHeaderView h(batches.data() + info.position);
    h.set_base_offset(next);
    h.set_partition_leader_epoch(0);
    info.last_offset = next + (info.last_offset - info.base_offset);
    info.base_offset = next;
    next = info.last_offset + 1;
  }

  const bool every_batch = config_.flush.kind == FlushPolicy::kEveryBatch;
  const bool sync = every_batch && !deferred;
  if (Status s = segment->append(batches, infos, sync); !s.ok()) {
    spdlog::error("append to {} failed: {}", dir_.string(), s.message);
    return {std::move(s)};
  }
  size_bytes_ += batches.size();
  if (!producer_batches.empty()) {
    size_t i = 0;
    for (const auto& info : infos) {
      if (info.producer_id < 0) continue;
      ProducerBatch pb = producer_batch(info);
      pb.abort = producer_batches[i++].abort;
      auto done = producers_.apply(pb, now_ms);
      if (done && done->aborted) {
        Status s = aborted_->append({done->producer_id, done->first_offset, done->last_offset});
        if (s.ok() && every_batch) s = aborted_->sync();
        // The marker is in the log: a reopen re-indexes it from there if this failed.
        if (!s.ok()) spdlog::error("log {}: aborted transaction index: {}", dir_.string(), s.message);
      }
    }
  }
  if (active_since_ms_ < 0) active_since_ms_ = now_ms;
  if (!every_batch && unflushed_since_ms_ < 0) unflushed_since_ms_ = now_ms;
  // Deferred under kEveryBatch: visible once complete_sync() says the fsync is done.
  // Otherwise now (a synchronous fsync covered the deferred appends before this one too).
  if (!(every_batch && deferred)) high_watermark_ = next;
  return {Status::success(), first, next - 1, now_ms};
}

ReadResult PartitionLog::read(int64_t offset, uint32_t max_bytes,
                              int64_t upper_bound_offset) const {
  ReadResult result;
  if (closed_) {
    result.status = closed_error();
    return result;
  }
  const int64_t start = log_start_offset(), end = log_end_offset();
  if (offset < start || offset > end) {
    result.status = Status::error(Errc::kOffsetOutOfRange,
                                  "offset " + std::to_string(offset) + " is outside the log " +
                                      dir_.filename().string() + "'s range [" +
                                      std::to_string(start) + ", " + std::to_string(end) + "]");
    return result;
  }
  const int64_t upper = std::min(upper_bound_offset, high_watermark_);
  if (offset >= upper) return result;

  uint64_t budget = max_bytes;
  bool done = false;
  int64_t want = offset;
  for (auto it = std::prev(segments_.upper_bound(offset)); it != segments_.end() && !done; ++it) {
    const Segment& segment = *it->second;
    Segment::HeaderCursor cursor(segment, segment.scan_start_for_offset(want));
    uint64_t range_start = 0, range_length = 0;
    Status status;
    while (auto batch = cursor.next(status)) {
      if (batch->last_offset < want) continue;
      if (batch->last_offset >= upper ||
          (result.bytes + range_length > 0 && batch->size > budget)) {
        done = true;
        break;
      }
      if (range_length == 0) range_start = batch->position;
      range_length += batch->size;
      budget -= std::min<uint64_t>(budget, batch->size);
      if (budget == 0) {
        done = true;
        break;
      }
    }
    if (!status.ok()) {
      spdlog::error("read of {} at offset {} failed: {}", dir_.string(), offset, status.message);
      if (result.ranges.empty() && range_length == 0) {
        result.status = std::move(status);
        return result;
      }
      done = true;  // serve what was read before the bad bytes
    }
    if (range_length > 0) {
      result.ranges.push_back(segment.range(range_start, uint32_t(range_length)));
      result.bytes += range_length;
    }
    want = segment.next_offset();
  }
  return result;
}

TimestampLookup PartitionLog::offset_for_timestamp(int64_t ts) const {
  return offset_for_timestamp(ts, nullptr);
}

TimestampLookup PartitionLog::offset_for_timestamp(int64_t ts,
                                                   const RecordFinder& decompressing_finder) const {
  TimestampLookup found;
  if (closed_) {
    found.status = closed_error();
    return found;
  }
  for (const auto& [base, segment] : segments_) {
    if (segment->max_timestamp() < ts) continue;
    Segment::HeaderCursor cursor(*segment, segment->scan_start_for_timestamp(ts));
    while (auto batch = cursor.next(found.status)) {
      if (batch->max_timestamp >= ts) {
        found.offset = batch->base_offset;
        found.timestamp = batch->max_timestamp;
        // Exact to the record when the records can be read without decompressing.
        std::vector<uint8_t> bytes;
        found.status = segment->read_bytes(batch->position, batch->size, bytes);
        if (!found.status.ok()) break;
        auto record = first_record_at_or_after(bytes, ts);
        if (!record && decompressing_finder) record = decompressing_finder(bytes, ts);
        if (record) {
          found.offset = record->offset;
          found.timestamp = record->timestamp;
        }
        if (found.offset >= high_watermark_) return {};  // not durable yet: not there
        return found;
      }
    }
    if (!found.status.ok()) {
      spdlog::error("timestamp lookup in {} failed: {}", dir_.string(), found.status.message);
      return found;
    }
  }
  return found;
}

Status PartitionLog::delete_oldest_segment(const char* reason) {
  auto it = segments_.begin();
  Segment& segment = *it->second;
  if (Status s = segment.remove_files(); !s.ok()) return s;
  spdlog::info("log {}: deleted segment {} (offsets [{}, {}), {} bytes) by {}", dir_.string(),
               segment.log_path().filename().string(), segment.base_offset(), std::next(it)->first,
               segment.size(), reason);
  size_bytes_ -= segment.size();
  segments_.erase(it);
  return Status::success();
}

RetentionResult PartitionLog::apply_retention(int64_t now_ms) {
  RetentionResult result;
  if (closed_) {
    result.status = closed_error();
    return result;
  }
  if (size_t n = producers_.expire(now_ms, config_.producer_id_expiration_ms); n > 0)
    spdlog::info("log {}: forgot {} producer id(s) idle for over {} ms", dir_.string(), n,
                 config_.producer_id_expiration_ms);
  if (!config_.deletes_by_retention()) return result;
  auto remove_oldest = [&](const char* reason) {
    uint64_t bytes = segments_.begin()->second->size();
    result.status = delete_oldest_segment(reason);
    if (!result.status.ok()) return false;
    ++result.segments_deleted;
    result.bytes_deleted += bytes;
    return true;
  };

  if (config_.retention_ms >= 0) {
    for (;;) {
      Segment& oldest = *segments_.begin()->second;
      const bool is_active = segments_.size() == 1;
      if (oldest.empty()) {
        if (is_active || !remove_oldest("retention.ms (empty segment)")) break;
        continue;
      }
      const int64_t ts = oldest.retention_timestamp();
      if (ts < 0 || now_ms - ts <= config_.retention_ms) break;
      if (is_active) {  // Kafka rolls an expired active segment so that it can go
        result.status = roll(now_ms);
        if (!result.status.ok()) break;
      }
      if (!remove_oldest("retention.ms")) break;
    }
  }
  if (config_.retention_bytes >= 0 && result.status.ok()) {
    while (segments_.size() > 1) {
      const uint64_t oldest = segments_.begin()->second->size();
      if (size_bytes_ - oldest < uint64_t(config_.retention_bytes)) break;
      if (!remove_oldest("retention.bytes")) break;
    }
  }
  if (!result.status.ok())
    spdlog::error("retention of {} stopped: {}", dir_.string(), result.status.message);
  if (result.segments_deleted > 0) {
    if (Status s = sync_dir(dir_); !s.ok()) spdlog::warn("{}", s.message);
  }
  return result;
}

int64_t PartitionLog::last_stable_offset() const {
  return std::min(producers_.first_unstable_offset().value_or(high_watermark_), high_watermark_);
}

PartitionLog::PendingSync PartitionLog::take_sync() const {
  if (closed_ || !failure_.ok() || high_watermark_ >= log_end_offset()) return {};
  return {active().log_file(), log_end_offset()};
}

void PartitionLog::complete_sync(int64_t end_offset, const Status& status) {
  if (!status.ok()) {
    if (!failure_.ok()) return;
    failure_ = Status::error(Errc::kStorageError,
                             "an fsync of the log in " + dir_.string() + " failed (" +
                                 status.message +
                                 "): it takes no appends until the broker is restarted");
    spdlog::error("{}; offsets from {} may be lost", failure_.message, high_watermark_);
    return;
  }
  // After a failed fsync a later one proves nothing about the pages the kernel dropped.
  if (closed_ || !failure_.ok()) return;
  high_watermark_ = std::max(high_watermark_, std::min(end_offset, log_end_offset()));
}

std::vector<AbortedTxn> PartitionLog::aborted_transactions(int64_t from, int64_t upper) const {
  auto out = aborted_->overlapping(from, upper);
  std::erase_if(out, [&](const AbortedTxn& t) { return t.last_offset < log_start_offset(); });
  return out;
}

Status PartitionLog::flush() {
  if (closed_) return closed_error();
  if (!failure_.ok()) return failure_;
  if (Status s = aborted_->sync(); !s.ok()) return s;
  if (unflushed_since_ms_ < 0 && high_watermark_ >= log_end_offset()) return Status::success();
  const bool deferred_waiting = high_watermark_ < log_end_offset();
  Status s = active().flush();
  if (s.ok()) {
    unflushed_since_ms_ = -1;
    high_watermark_ = log_end_offset();
  } else if (deferred_waiting) {
    complete_sync(log_end_offset(), s);  // as the flusher's fsync failing would
  } else {
    spdlog::error("flush of {} failed: {}", dir_.string(), s.message);
  }
  return s;
}

Status PartitionLog::flush_if_due(int64_t now_ms) {
  if (closed_ || unflushed_since_ms_ < 0) return Status::success();
  if (now_ms - unflushed_since_ms_ < config_.flush.interval.count()) return Status::success();
  return flush();
}

std::shared_ptr<FileHandle> PartitionLog::take_due_flush(int64_t now_ms) {
  if (closed_ || unflushed_since_ms_ < 0) return nullptr;
  if (now_ms - unflushed_since_ms_ < config_.flush.interval.count()) return nullptr;
  if (Status s = aborted_->sync(); !s.ok()) {
    spdlog::error("flush of {} failed: {}", dir_.string(), s.message);
    return nullptr;
  }
  unflushed_since_ms_ = -1;
  return active().log_file();
}

Status PartitionLog::set_config(LogConfig config) {
  if (closed_) return closed_error();
  config_ = std::move(config);
  if (config_.flush.kind == FlushPolicy::kEveryBatch) return flush();
  return Status::success();
}

Status PartitionLog::close() {
  return shut_down(true);
}

Status PartitionLog::shut_down(bool snapshot) {
  if (closed_) return Status::success();
  Status s = flush();
  // Only over durable data: a snapshot past what a crash could keep would be wrong.
  if (s.ok() && snapshot) write_producer_snapshot();
  closed_ = true;
  return s;
}

Status PartitionLog::delete_log() {
  Status s = shut_down(false);
  if (!s.ok()) spdlog::warn("deleting {} without a final flush: {}", dir_.string(), s.message);
  segments_.clear();
  size_bytes_ = 0;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) return io_error("cannot remove log directory", dir_, ec.value());
  return Status::success();
}

}  // namespace sluice::log
