#include "log/segment.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/batch_header.h"

namespace sluice::log {
namespace {

// Reads a whole (small) file. Returns false when it does not exist or cannot be read.
bool read_small_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return false;
  out = std::move(buffer).str();
  return true;
}

Status unlink_if_present(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("cannot delete", path, errno);
  return Status::success();
}

}  // namespace

std::string Segment::file_stem(int64_t base_offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(base_offset));
  return buf;
}

std::optional<int64_t> Segment::parse_file_stem(const std::string& stem) {
  if (stem.size() != 20) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(stem.data(), stem.data() + stem.size(), v);
  if (ec != std::errc() || ptr != stem.data() + stem.size() || v < 0) return std::nullopt;
  return v;
}

Segment::Segment(std::filesystem::path dir, int64_t base_offset, int32_t index_interval_bytes)
    : dir_(std::move(dir)),
      base_offset_(base_offset),
      index_interval_bytes_(index_interval_bytes),
      next_offset_(base_offset) {}

Segment::~Segment() = default;

std::filesystem::path Segment::path(const char* suffix) const {
  return dir_ / (file_stem(base_offset_) + suffix);
}

std::unique_ptr<Segment> Segment::create(const std::filesystem::path& dir, int64_t base_offset,
                                         int32_t index_interval_bytes, Status& status) {
  std::unique_ptr<Segment> s(new Segment(dir, base_offset, index_interval_bytes));
  s->log_ = open_file(s->path(kLogSuffix), true, status);
  if (!s->log_) return nullptr;
  if (status = truncate_file(*s->log_, 0); !status.ok()) return nullptr;
  // Index files of an earlier segment of the same name would describe other bytes.
  if (status = unlink_if_present(s->path(kIndexSuffix)); !status.ok()) return nullptr;
  if (status = unlink_if_present(s->path(kTimeIndexSuffix)); !status.ok()) return nullptr;
  return s;
}

std::unique_ptr<Segment> Segment::open_sealed(const std::filesystem::path& dir, int64_t base_offset,
                                              int64_t next_offset, int32_t index_interval_bytes,
                                              Status& status) {
  std::unique_ptr<Segment> s(new Segment(dir, base_offset, index_interval_bytes));
  s->log_ = open_file(s->path(kLogSuffix), false, status);
  if (!s->log_) return nullptr;
  int64_t size = file_size(*s->log_, status);
  if (size < 0) return nullptr;
  s->size_ = uint64_t(size);
  s->next_offset_ = next_offset;
  if (s->load_indexes(next_offset)) return s;

  spdlog::info("rebuilding the indexes of segment {}", s->log_path().string());
  std::string problem;
  if (status = s->rebuild(false, &problem); !status.ok()) return nullptr;
  if (!problem.empty())
    spdlog::warn("segment {} holds invalid bytes from position {} ({}); reads past them fail",
                 s->log_path().string(), s->size_, problem);
  s->size_ = uint64_t(size);
  s->next_offset_ = std::max(s->next_offset_, next_offset);
  if (s->offset_of_max_timestamp_ >= 0)  // sealed: the last entry holds the segment's max
    s->time_index_.maybe_append(s->max_timestamp_,
                                int32_t(s->offset_of_max_timestamp_ - base_offset));
  s->write_indexes();
  return s;
}

std::unique_ptr<Segment> Segment::recover_active(const std::filesystem::path& dir,
                                                 int64_t base_offset, int32_t index_interval_bytes,
                                                 Status& status) {
  std::unique_ptr<Segment> s(new Segment(dir, base_offset, index_interval_bytes));
  s->log_ = open_file(s->path(kLogSuffix), false, status);
  if (!s->log_) return nullptr;
  int64_t file_bytes = file_size(*s->log_, status);
  if (file_bytes < 0) return nullptr;
  std::string problem;
  if (status = s->rebuild(true, &problem); !status.ok()) return nullptr;
  if (s->size_ < uint64_t(file_bytes)) {
    spdlog::warn(
        "recovery of {}: dropped {} bytes after position {}, from the first "
        "invalid batch on ({})",
        s->log_path().string(), uint64_t(file_bytes) - s->size_, s->size_, problem);
    if (status = truncate_file(*s->log_, s->size_); !status.ok()) return nullptr;
    if (status = sync_file(*s->log_); !status.ok()) return nullptr;
  }
  return s;
}

void Segment::reset_stats() {
  size_ = 0;
  next_offset_ = base_offset_;
  max_timestamp_ = -1;
  offset_of_max_timestamp_ = -1;
  bytes_since_index_ = 0;
  offset_index_.clear();
  time_index_.clear();
}

Status Segment::rebuild(bool verify_crc, std::string* problem) {
  Status status;
  int64_t file_bytes = file_size(*log_, status);
  if (file_bytes < 0) return status;
  reset_stats();
  BatchScanner scanner(*log_, 0, uint64_t(file_bytes), base_offset_, verify_crc);
  while (auto batch = scanner.next()) note_batch(*batch);
  if (!scanner.io_status().ok()) return scanner.io_status();
  *problem = scanner.problem();
  return Status::success();
}

bool Segment::load_indexes(int64_t next_offset) {
  std::string index_bytes, time_bytes;
  if (!read_small_file(path(kIndexSuffix), index_bytes) ||
      !read_small_file(path(kTimeIndexSuffix), time_bytes))
    return false;
  int64_t max_rel = next_offset - base_offset_ - 1;
  if (!offset_index_.parse(index_bytes, size_, max_rel) || !time_index_.parse(time_bytes, max_rel))
    return false;
  if (size_ > 0 && time_index_.entries().empty()) return false;  // sealed: has its max
  if (!offset_index_.entries().empty()) {
    // The last entry must point at the batch it names.
    const auto& last = offset_index_.entries().back();
    Status status;
    auto header = read_batch_header(uint64_t(last.position), status);
    if (!header || header->base_offset != base_offset_ + last.relative_offset) {
      offset_index_.clear();
      time_index_.clear();
      return false;
    }
  }
  max_timestamp_ = time_index_.last_timestamp();
  return true;
}

void Segment::write_indexes() {
  auto write = [&](const char* suffix, const std::string& bytes) {
    std::string tmp = std::string(suffix) + ".tmp";
    Status s = write_file_atomically(path(suffix), path(tmp.c_str()), bytes);
    if (!s.ok())
      spdlog::warn("{} (the index will be rebuilt when the log is next opened)", s.message);
  };
  write(kIndexSuffix, offset_index_.serialize());
  write(kTimeIndexSuffix, time_index_.serialize());
}

void Segment::note_batch(const BatchInfo& b) {
  if (b.max_timestamp > max_timestamp_) {
    max_timestamp_ = b.max_timestamp;
    offset_of_max_timestamp_ = b.base_offset;
  }
  if (b.position > 0 && bytes_since_index_ >= uint64_t(index_interval_bytes_)) {
    offset_index_.append(int32_t(b.base_offset - base_offset_), int32_t(b.position));
    if (offset_of_max_timestamp_ >= 0)
      time_index_.maybe_append(max_timestamp_, int32_t(offset_of_max_timestamp_ - base_offset_));
    bytes_since_index_ = 0;
  }
  bytes_since_index_ += b.size;
  next_offset_ = b.last_offset + 1;
  size_ = b.position + b.size;
}

int64_t Segment::retention_timestamp() const {
  if (max_timestamp_ >= 0) return max_timestamp_;
  struct stat st {};
  if (::fstat(log_->fd(), &st) != 0) return -1;
  return int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

Status Segment::append(std::span<const uint8_t> bytes, std::span<const BatchInfo> batches,
                       bool sync) {
  const uint64_t at = size_;
  Status status = pwrite_all(*log_, bytes.data(), bytes.size(), at);
  if (status.ok() && sync) status = sync_file(*log_);
  if (!status.ok()) {
    Status undo = truncate_file(*log_, at);
    if (!undo.ok())
      spdlog::error("{}; bytes past position {} of {} are garbage until recovery", undo.message, at,
                    log_path().string());
    return status;
  }
  for (BatchInfo b : batches) {
    b.position += at;
    note_batch(b);
  }
  return Status::success();
}

Status Segment::flush() {
  return sync_file(*log_);
}

Status Segment::seal() {
  Status status = sync_file(*log_);
  if (!status.ok()) return status;
  if (offset_of_max_timestamp_ >= 0)
    time_index_.maybe_append(max_timestamp_, int32_t(offset_of_max_timestamp_ - base_offset_));
  write_indexes();
  return Status::success();
}

uint64_t Segment::scan_start_for_offset(int64_t offset) const {
  return offset_index_.lookup(offset - base_offset_);
}

uint64_t Segment::scan_start_for_timestamp(int64_t ts) const {
  auto rel = time_index_.lookup_before(ts);
  return rel ? offset_index_.lookup(*rel) : 0;
}

std::optional<BatchInfo> Segment::read_batch_header(uint64_t position, Status& status) const {
  std::array<uint8_t, batch_layout::kHeaderSize> buf{};
  if (position >= size_) {
    status = Status::error(Errc::kCorruptBatch, "position " + std::to_string(position) +
                                                    " is past the end of " + log_path().string());
    return std::nullopt;
  }
  size_t left = size_t(std::min<uint64_t>(size_ - position, buf.size()));
  ssize_t got = pread_full(*log_, buf.data(), left, position, status);
  if (got < 0) return std::nullopt;
  std::string why = check_batch_header(
      buf.data(), size_t(got) < buf.size() ? size_t(got) : size_t(size_ - position));
  if (!why.empty()) {
    status = Status::error(Errc::kCorruptBatch, log_path().string() + " at position " +
                                                    std::to_string(position) + ": " + why);
    return std::nullopt;
  }
  return batch_info(buf.data(), position);
}

std::optional<BatchInfo> Segment::HeaderCursor::next(Status& status) {
  constexpr size_t kChunk = 16 * 1024;
  const uint64_t end = segment_.size_;
  if (position_ >= end) return std::nullopt;
  const uint64_t left = end - position_;
  const size_t need = size_t(std::min<uint64_t>(batch_layout::kHeaderSize, left));
  if (position_ < buf_start_ || position_ + need > buf_start_ + buf_len_) {
    size_t want = size_t(std::min<uint64_t>(kChunk, left));
    buf_.resize(std::max(buf_.size(), want));
    ssize_t got = pread_full(*segment_.log_, buf_.data(), want, position_, status);
    if (got < 0) return std::nullopt;
    buf_start_ = position_;
    buf_len_ = size_t(got);
    if (buf_len_ < need) {
      status = Status::error(Errc::kStorageError,
                             segment_.log_path().string() + " is shorter than expected");
      return std::nullopt;
    }
  }
  const uint8_t* p = buf_.data() + (position_ - buf_start_);
  std::string why = check_batch_header(p, size_t(std::min<uint64_t>(left, SIZE_MAX)));
  if (!why.empty()) {
    status = Status::error(Errc::kCorruptBatch, segment_.log_path().string() + " at position " +
                                                    std::to_string(position_) + ": " + why);
    return std::nullopt;
  }
  BatchInfo info = batch_info(p, position_);
  position_ += info.size;
  return info;
}

Status Segment::read_bytes(uint64_t position, uint32_t length, std::vector<uint8_t>& out) const {
  out.resize(length);
  Status status;
  ssize_t got = pread_full(*log_, out.data(), length, position, status);
  if (got < 0) return status;
  if (size_t(got) != length)
    return Status::error(Errc::kStorageError, log_path().string() + " ends inside the batch at " +
                                                  std::to_string(position));
  return Status::success();
}

FileRange Segment::range(uint64_t position, uint32_t length) const {
  return FileRange{log_->fd(), position, length, std::shared_ptr<const void>(log_)};
}

Status Segment::remove_files() {
  if (Status s = unlink_if_present(path(kLogSuffix)); !s.ok()) return s;
  if (Status s = unlink_if_present(path(kIndexSuffix)); !s.ok()) return s;
  return unlink_if_present(path(kTimeIndexSuffix));
}

}  // namespace sluice::log
