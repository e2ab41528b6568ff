// Walks the record batches (magic v2) of a segment file in order, through a buffer that
// reads the file in large sequential chunks. Checks what recovery needs: a sane length,
// the whole batch present, magic 2, offsets increasing, and (optionally) the CRC32C over
// [attributes, end). Stops at the end of the file or at the first batch that fails a
// check, and then says why. Not thread-safe; borrows the file for its lifetime.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "log/file_io.h"
#include "log/status.h"

namespace sluice::log {

/// Where one batch is and what its header says (all that the log indexes, and the
/// producer fields that idempotence tracks: see ProducerState).
struct BatchInfo {
  uint64_t position = 0;  // of its first byte in the segment file (or in a buffer)
  uint32_t size = 0;      // whole batch, header included
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  bool transactional = false;
  bool control = false;
};

/// Checks the header of one batch at `p` with `available` readable bytes there. Returns
/// an empty string when well-formed, else what is wrong. Reads the header only: the CRC
/// is not checked here.
std::string check_batch_header(const uint8_t* p, size_t available);

/// The BatchInfo of a batch whose header check_batch_header accepted.
BatchInfo batch_info(const uint8_t* p, uint64_t position);

class BatchScanner {
 public:
  /// Scans [start, end) of `file`; batches must have base offsets >= `min_offset`.
  BatchScanner(const FileHandle& file, uint64_t start, uint64_t end, int64_t min_offset,
               bool verify_crc);

  /// The next valid batch, or nullopt at the end or at the first invalid batch.
  std::optional<BatchInfo> next();
  /// Where the valid prefix ends: after the last batch next() returned.
  uint64_t position() const { return position_; }
  /// After next() returned nullopt: empty at a clean end of file, else why the scan stopped
  /// ("incomplete batch: 4096 bytes of 16396 present", "CRC mismatch", ...).
  const std::string& problem() const { return problem_; }
  /// A read error (as opposed to bad bytes) stopped the scan.
  const Status& io_status() const { return io_status_; }

 private:
  bool ensure(uint64_t pos, size_t n);  // makes [pos, pos+n) available in buf_

  const FileHandle& file_;
  uint64_t position_;
  uint64_t end_;
  int64_t min_offset_;
  bool verify_crc_;
  std::vector<uint8_t> buf_;
  uint64_t buf_start_ = 0;
  size_t buf_len_ = 0;
  std::string problem_;
  Status io_status_;
};

}  // namespace sluice::log
