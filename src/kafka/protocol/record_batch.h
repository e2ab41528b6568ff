// Kafka RecordBatch (magic v2) at the byte level: validating what a producer sends,
// decoding a batch into records, and building batches.
//
// Layout (see common/batch_header.h for the 61-byte header): header, then record_count
// records, compressed as one stream when attributes bits 0-2 name a codec. Each record is
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint | key | valueLength varint | value | headerCount varint |
//   headers (keyLength varint | key | valueLength varint | value)*
// with -1 lengths meaning null. The CRC32C covers [attributes, end of batch).
//
// Everything here is a pure function of its arguments (thread-safe) except
// RecordBatchBuilder, an ordinary value type owned by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/compression.h"
#include "kafka/protocol/errors.h"

namespace sluice::kafka {

/// One record header. Keys are never null on the wire; values may be.
struct RecordHeader {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const RecordHeader&) const = default;
};

/// One decoded record. Owns its bytes (decompression leaves nothing to borrow from).
/// `offset` is absolute (base offset + delta); `timestamp` is the batch's max timestamp
/// for LogAppendTime batches, base timestamp + delta otherwise.
struct Record {
  int64_t offset = 0;
  int64_t timestamp = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<RecordHeader> headers;
  bool operator==(const Record&) const = default;
};

/// The fields of one batch's 61-byte header, copied out.
struct BatchInfo {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = -1;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = -1;
  int64_t max_timestamp = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;
  uint32_t crc = 0;
  size_t size_bytes = 0;  // the whole batch, header included

  /// Reads a header; the caller guarantees 61 readable bytes.
  static BatchInfo read(const uint8_t* header);
  int compression_id() const { return attributes & 0x07; }
  bool log_append_time() const { return attributes & 0x08; }
  bool transactional() const { return attributes & 0x10; }
  bool control() const { return attributes & 0x20; }
  /// The sequence number of the batch's last record (wraps at INT32_MAX, as Kafka's does).
  int32_t last_sequence() const;
};

/// What a Produce request's records for one partition contained, once validated.
struct BatchSummary {
  int32_t batch_count = 0;
  int64_t record_count = 0;
  int64_t max_timestamp = -1;  // over the batches' max_timestamp fields
  BatchInfo first;             // producer id/epoch/base sequence of the first batch...
  BatchInfo last;              // ...and of the last (the same batch when there is one)
  bool any_transactional = false;
  bool any_control = false;
};

struct ValidateOptions {
  /// A batch larger than this (header included) is MESSAGE_TOO_LARGE.
  size_t max_batch_bytes = 1024 * 1024;
  /// Decompressed size limit per batch when records are checked (decompression bombs).
  size_t max_decompressed_bytes = 64 * 1024 * 1024;
  /// Apply the rules Kafka applies to batches from producers: base offset 0, record count
  /// equal to lastOffsetDelta + 1 and > 0, consecutive offset deltas, no control batches,
  /// a base sequence when there is a producer id, a producer id when transactional.
  /// Off: only structural rules (count <= lastOffsetDelta + 1, increasing deltas), e.g. for
  /// batches read back from a log that compaction may have thinned.
  bool client_produce = true;
  /// Parse every record (decompressing if needed) and check its varint lengths. Kafka does
  /// the equivalent; off, only headers and CRCs are checked.
  bool check_records = true;
  /// Kafka >= 2.4 rejects a produce with more than one v2 batch per partition (INVALID_RECORD).
  bool single_batch = false;
};

/// The outcome of validate_batches: error kNone and a summary, or an error and a reason.
struct BatchValidation {
  ErrorCode error = ErrorCode::kNone;
  std::string reason;  // human-readable, names the batch index and byte offset
  BatchSummary summary;
  bool ok() const { return error == ErrorCode::kNone; }
};

/// Validates a Produce request's record bytes for one partition: a whole number of magic
/// v2 batches, each with a sane length (>= 49, within the buffer, <= max_batch_bytes),
/// a matching CRC32C, a known codec and consistent counts. Errors: CORRUPT_MESSAGE (bad
/// CRC, length, truncation, undecompressable data), INVALID_RECORD (inconsistent counts,
/// offsets, producer fields, malformed records, empty input), UNSUPPORTED_COMPRESSION_TYPE
/// (codec 5..7), MESSAGE_TOO_LARGE, UNSUPPORTED_FOR_MESSAGE_FORMAT (a v0/v1 message set:
/// see legacy_message_set.h). Never throws on bad input; reads only inside `records`.
BatchValidation validate_batches(std::span<const uint8_t> records, const ValidateOptions& opts = {});

/// A batch's header and its records.
struct DecodedBatch {
  BatchInfo info;
  std::vector<Record> records;
};

/// Decodes exactly one v2 batch (`one_batch` must be the whole batch, no more): checks the
/// CRC, decompresses (at most `max_decompressed` bytes), parses every record and checks
/// that its lengths fit. Throws DecodeError on anything malformed.
DecodedBatch decode_batch(std::span<const uint8_t> one_batch, size_t max_decompressed);

/// Builds one v2 batch. The base timestamp is the first record's timestamp; offset deltas
/// count from 0 unless given. A plain value type: copyable, not shared between threads.
class RecordBatchBuilder {
 public:
  RecordBatchBuilder& base_offset(int64_t v);
  RecordBatchBuilder& partition_leader_epoch(int32_t v);
  RecordBatchBuilder& compression(Compression c);
  RecordBatchBuilder& producer(int64_t id, int16_t epoch, int32_t base_sequence);
  RecordBatchBuilder& transactional(bool on = true);
  RecordBatchBuilder& control(bool on = true);
  /// Marks the batch LogAppendTime, with `broker_time_ms` as its max timestamp.
  RecordBatchBuilder& log_append_time(int64_t broker_time_ms);

  /// Appends a record at offset delta = the number of records added so far.
  RecordBatchBuilder& add(int64_t timestamp, std::optional<std::string_view> key,
                          std::optional<std::string_view> value,
                          std::span<const RecordHeader> headers = {});
  /// Appends a record at an explicit offset delta (greater than the previous one), for
  /// batches with gaps such as compacted ones.
  RecordBatchBuilder& add_at(int32_t offset_delta, int64_t timestamp,
                             std::optional<std::string_view> key,
                             std::optional<std::string_view> value,
                             std::span<const RecordHeader> headers = {});

  int32_t record_count() const { return count_; }
  /// Bytes of the uncompressed records so far (to cut batches at a size).
  size_t records_size() const { return body_.size(); }

  /// The complete batch: header, CRC, (compressed) records. May be called repeatedly.
  std::string build() const;

 private:
  int64_t base_offset_ = 0;
  int32_t leader_epoch_ = -1;
  Compression compression_ = Compression::kNone;
  int64_t producer_id_ = -1;
  int16_t producer_epoch_ = -1;
  int32_t base_sequence_ = -1;
  bool transactional_ = false;
  bool control_ = false;
  std::optional<int64_t> log_append_time_;
  int32_t count_ = 0;
  int32_t last_offset_delta_ = -1;
  int64_t base_timestamp_ = -1;
  int64_t max_timestamp_ = -1;
  std::string body_;
};

}  // namespace sluice::kafka
