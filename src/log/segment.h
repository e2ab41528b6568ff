// One segment of a partition log: the file `<base offset, 20 digits>.log` holding record
// batches back to back exactly as produced (offsets patched), with its sparse `.index` and
// `.timeindex` (see OffsetIndex, TimeIndex). A segment is active (the last one, appended
// to) or sealed (read-only, index files written). Not thread-safe; owned by PartitionLog.
// The `.log` descriptor is shared with the FileRanges handed out, so they outlive it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/file_range.h"
#include "log/batch_scanner.h"
#include "log/file_io.h"
#include "log/offset_index.h"
#include "log/status.h"
#include "log/time_index.h"

namespace sluice::log {

class Segment {
 public:
  static constexpr const char* kLogSuffix = ".log";
  static constexpr const char* kIndexSuffix = ".index";
  static constexpr const char* kTimeIndexSuffix = ".timeindex";

  /// "00000000000000000042" for 42.
  static std::string file_stem(int64_t base_offset);
  /// The base offset of a file named like file_stem() + suffix, or nullopt.
  static std::optional<int64_t> parse_file_stem(const std::string& stem);

  /// Creates a new, empty active segment (an existing file of that name is emptied).
  static std::unique_ptr<Segment> create(const std::filesystem::path& dir, int64_t base_offset,
                                         int32_t index_interval_bytes, Status& status);
  /// Opens a sealed segment whose offsets end before `next_offset` (the next segment's
  /// base). Loads its index files; rebuilds and rewrites them when missing or corrupt.
  static std::unique_ptr<Segment> open_sealed(const std::filesystem::path& dir, int64_t base_offset,
                                              int64_t next_offset, int32_t index_interval_bytes,
                                              Status& status);
  /// Opens the last segment after a restart: checks every batch (length, magic, CRC,
  /// increasing offsets), truncates the file at the first invalid or incomplete batch (a
  /// torn tail: logged with the number of bytes dropped), rebuilds the indexes in memory.
  static std::unique_ptr<Segment> recover_active(const std::filesystem::path& dir,
                                                 int64_t base_offset, int32_t index_interval_bytes,
                                                 Status& status);

  ~Segment();

  int64_t base_offset() const { return base_offset_; }
  /// One past the last offset stored (== base_offset() when empty).
  int64_t next_offset() const { return next_offset_; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// Largest batch max-timestamp, -1 when no batch has one.
  int64_t max_timestamp() const { return max_timestamp_; }
  /// The time retention compares: max_timestamp(), or the file's mtime when it has none.
  int64_t retention_timestamp() const;

  /// Appends `bytes`, whole batches whose offsets are already assigned and described by
  /// `batches` (positions relative to `bytes`). With `sync` the file is fsynced before
  /// returning. On any error the file is truncated back and nothing changes.
  Status append(std::span<const uint8_t> bytes, std::span<const BatchInfo> batches, bool sync);
  Status flush();
  /// The log file, to fsync on another thread (LogFlusher).
  std::shared_ptr<FileHandle> log_file() const { return log_; }
  /// Makes this segment read-only: fsyncs the log, writes both index files (each atomically,
  /// fsynced). A failed index write is only logged: the next open rebuilds it.
  Status seal();

  /// The position where a scan for `offset` starts (from the offset index).
  uint64_t scan_start_for_offset(int64_t offset) const;
  /// The position where a scan for the first batch with max timestamp >= `ts` starts.
  uint64_t scan_start_for_timestamp(int64_t ts) const;
  /// Reads and checks the header of the batch at `position`. Errors are kCorruptBatch
  /// (bad header) or kStorageError (read failure).
  std::optional<BatchInfo> read_batch_header(uint64_t position, Status& status) const;
  /// Reads batch headers one after the other from a position, through a small buffer (one
  /// pread per 16 KiB of small batches rather than one per batch). Borrows the segment.
  class HeaderCursor {
   public:
    HeaderCursor(const Segment& segment, uint64_t position)
        : segment_(segment), position_(position) {}
    /// The next batch; nullopt at the segment's end (status untouched) or on a bad header
    /// (kCorruptBatch) or read error (kStorageError).
    std::optional<BatchInfo> next(Status& status);

   private:
    const Segment& segment_;
    uint64_t position_;
    std::vector<uint8_t> buf_;
    uint64_t buf_start_ = 0;
    size_t buf_len_ = 0;
  };

  /// Reads `length` bytes at `position` into `out` (resized). kStorageError on a read
  /// error or when the bytes are not all there.
  Status read_bytes(uint64_t position, uint32_t length, std::vector<uint8_t>& out) const;

  /// A FileRange over [position, position + length) of the `.log` file.
  FileRange range(uint64_t position, uint32_t length) const;

  /// Deletes the three files. Open FileRanges stay readable.
  Status remove_files();

  const OffsetIndex& offset_index() const { return offset_index_; }
  const TimeIndex& time_index() const { return time_index_; }
  std::filesystem::path log_path() const { return path(kLogSuffix); }

 private:
  Segment(std::filesystem::path dir, int64_t base_offset, int32_t index_interval_bytes);
  std::filesystem::path path(const char* suffix) const;
  void note_batch(const BatchInfo& b);  // updates indexes and stats for an appended batch
  void reset_stats();
  Status rebuild(bool verify_crc, std::string* problem);  // rescans the whole file
  bool load_indexes(int64_t next_offset);                 // false: rebuild needed
  void write_indexes();

  std::filesystem::path dir_;
  int64_t base_offset_;
  int32_t index_interval_bytes_;
  std::shared_ptr<FileHandle> log_;
  uint64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;
  int64_t offset_of_max_timestamp_ = -1;
  uint64_t bytes_since_index_ = 0;
  OffsetIndex offset_index_;
  TimeIndex time_index_;
};

}  // namespace sluice::log
