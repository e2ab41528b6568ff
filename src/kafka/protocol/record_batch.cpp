#include "kafka/protocol/record_batch.h"

#include <algorithm>
#include <limits>

#include "common/batch_header.h"
#include "common/byte_order.h"
#include "common/crc32c.h"
#include "kafka/protocol/wire.h"

namespace sluice::kafka {
namespace {

namespace bl = batch_layout;

constexpr size_t kMinBatchLength = bl::kHeaderSize - bl::kLogOverhead;  // 49
constexpr size_t kMinRecordSize = 7;  // 1-byte length, attributes, 5 one-byte varints

/// Two's-complement addition: hostile deltas may overflow, which must not be UB.
int64_t wrapping_add(int64_t a, int64_t b) { return int64_t(uint64_t(a) + uint64_t(b)); }

/// A record as parsed, borrowing from the (decompressed) records buffer.
struct RecordView {
  int64_t timestamp_delta;
  int32_t offset_delta;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
};

std::optional<std::string_view> varint_bytes(WireReader& r, const char* what) {
  int32_t n = r.varint();
  if (n < -1) throw DecodeError(std::string("negative ") + what + " length");
  if (n == -1) return std::nullopt;
  return r.view(size_t(n));
}

/// Parses `count` records from `body`, which must hold exactly those. Calls
/// on_header(key, value) for each header of a record, then on_record(RecordView).
/// Throws DecodeError naming the record at fault.
template <class OnRecord, class OnHeader>
void parse_records(std::string_view body, int32_t count, OnRecord&& on_record,
                   OnHeader&& on_header) {
  WireReader all(body);
  for (int32_t i = 0; i < count; ++i) {
    try {
      int32_t length = all.varint();
      if (length < 0) throw DecodeError("negative record length");
      std::string_view bytes = all.view(size_t(length));
      WireReader r(bytes);
      r.int8();  // record attributes: unused
      RecordView rec;
      rec.timestamp_delta = r.varlong();
      rec.offset_delta = r.varint();
      rec.key = varint_bytes(r, "key");
      rec.value = varint_bytes(r, "value");
      int32_t headers = r.varint();
      if (headers < 0) throw DecodeError("negative header count");
      for (int32_t h = 0; h < headers; ++h) {
        int32_t klen = r.varint();
        if (klen < 0) throw DecodeError("null or negative header key length");
        std::string_view key = r.view(size_t(klen));
        on_header(key, varint_bytes(r, "header value"));
      }
      if (r.remaining() != 0)
        throw DecodeError(std::to_string(r.remaining()) + " bytes left over in the record");
      on_record(rec);
    } catch (const DecodeError& e) {
      throw DecodeError("record " + std::to_string(i) + ": " + e.what());
    }
  }
  if (all.remaining() != 0)
    throw DecodeError(std::to_string(all.remaining()) + " bytes after the last record");
}

/// The records of a batch, decompressed if needed. Holds either a view into the batch or
/// the decompressed bytes.
class BatchRecords {
 public:
  BatchRecords(const uint8_t* batch, const BatchInfo& info, size_t max_decompressed) {
    std::string_view raw(reinterpret_cast<const char*>(batch) + bl::kHeaderSize,
                         info.size_bytes - bl::kHeaderSize);
    auto codec = compression_from_id(info.compression_id());
    if (!codec) throw DecodeError("unsupported compression codec");
    if (*codec == Compression::kNone) {
      view_ = raw;
    } else {
      owned_ = decompress(*codec, raw, max_decompressed);
      view_ = owned_;
    }
  }
  std::string_view bytes() const { return view_; }

 private:
  std::string owned_;
  std::string_view view_;
};

struct Rejection {
  ErrorCode error;
  std::string reason;
};

std::string where(int32_t batch, size_t pos) {
  return "batch " + std::to_string(batch) + " at byte " + std::to_string(pos) + ": ";
}

/// Checks one batch whose header and `info.size_bytes` bytes are in bounds.
std::optional<Rejection> check_batch(const uint8_t* p, const BatchInfo& info,
                                     const ValidateOptions& opts) {
  auto invalid = [](std::string why) { return Rejection{ErrorCode::kInvalidRecord, std::move(why)}; };
  uint32_t crc = crc32c(p + bl::kAttributes, info.size_bytes - bl::kAttributes);
  if (crc != info.crc) return Rejection{ErrorCode::kCorruptMessage, "CRC32C mismatch"};
  if (!compression_from_id(info.compression_id()))
    return Rejection{ErrorCode::kUnsupportedCompressionType,
                     "compression codec " + std::to_string(info.compression_id())};
  if (info.last_offset_delta < 0) return invalid("negative lastOffsetDelta");
  if (info.record_count < 0) return invalid("negative record count");
  if (int64_t(info.record_count) > int64_t(info.last_offset_delta) + 1)
    return invalid("record count exceeds lastOffsetDelta + 1");
  if (opts.client_produce) {
    if (info.base_offset != 0) return invalid("base offset of a produced batch must be 0");
    if (info.record_count == 0) return invalid("empty batch");
    if (int64_t(info.record_count) != int64_t(info.last_offset_delta) + 1)
      return invalid("record count " + std::to_string(info.record_count) +
                     " does not match lastOffsetDelta " + std::to_string(info.last_offset_delta));
    if (info.control()) return invalid("clients may not write control batches");
    if (info.producer_id >= 0 && info.base_sequence < 0)
      return invalid("producer id without a base sequence");
    if (info.transactional() && info.producer_id < 0)
      return invalid("transactional batch without a producer id");
  }
  if (!opts.check_records) return std::nullopt;

  std::optional<BatchRecords> records;
  try {
    records.emplace(p, info, opts.max_decompressed_bytes);
  } catch (const std::exception& e) {
    return Rejection{ErrorCode::kCorruptMessage, e.what()};
  }
  try {
    int32_t index = 0;
    int64_t prev_delta = -1;
    parse_records(
        records->bytes(), info.record_count,
        [&](const RecordView& r) {
          if (opts.client_produce ? r.offset_delta != index
                                  : (r.offset_delta <= prev_delta ||
                                     r.offset_delta > info.last_offset_delta))
            throw DecodeError("record " + std::to_string(index) + ": offset delta " +
                              std::to_string(r.offset_delta) + " out of sequence");
          prev_delta = r.offset_delta;
          ++index;
        },
        [](std::string_view, const std::optional<std::string_view>&) {});
  } catch (const std::exception& e) {
    return invalid(e.what());
  }
  return std::nullopt;
}

}  // namespace

BatchInfo BatchInfo::read(const uint8_t* p) {
  BatchHeaderView h(p);
  BatchInfo b;
  b.base_offset = h.base_offset();
  b.partition_leader_epoch = load_be<int32_t>(p + bl::kPartitionLeaderEpoch);
  b.attributes = h.attributes();
  b.last_offset_delta = h.last_offset_delta();
  b.base_timestamp = h.base_timestamp();
  b.max_timestamp = h.max_timestamp();
  b.producer_id = h.producer_id();
  b.producer_epoch = h.producer_epoch();
  b.base_sequence = h.base_sequence();
  b.record_count = h.record_count();
  b.crc = h.crc();
  int32_t len = h.batch_length();
  b.size_bytes = len < 0 ? 0 : bl::kLogOverhead + size_t(len);
  return b;
}

int32_t BatchInfo::last_sequence() const {
  if (base_sequence < 0) return -1;
  int64_t s = int64_t(base_sequence) + last_offset_delta;
  return int32_t(s > std::numeric_limits<int32_t>::max() ? s - (int64_t(1) << 31) : s);
}

BatchValidation validate_batches(std::span<const uint8_t> records, const ValidateOptions& opts) {
  BatchValidation out;
  auto reject = [&](ErrorCode e, int32_t batch, size_t pos, std::string why) {
    out.error = e;
    out.reason = where(batch, pos) + why;
    return out;
  };
  if (records.empty()) return reject(ErrorCode::kInvalidRecord, 0, 0, "no record batches");
  const uint8_t* base = records.data();
  size_t size = records.size();
  size_t pos = 0;
  int32_t index = 0;
  while (pos < size) {
    size_t left = size - pos;
    const uint8_t* p = base + pos;
    if (left < bl::kLogOverhead)
      return reject(ErrorCode::kCorruptMessage, index, pos, "truncated batch length");
    int32_t length = load_be<int32_t>(p + bl::kBatchLength);
    if (left > bl::kMagic) {
      int8_t magic = int8_t(p[bl::kMagic]);
      if ((magic == 0 || magic == 1) && index == 0)
        return reject(ErrorCode::kUnsupportedForMessageFormat, index, pos,
                      "magic v" + std::to_string(magic) + " message set among v2 batches");
      if (magic != 2)
        return reject(ErrorCode::kCorruptMessage, index, pos,
                      "unknown magic " + std::to_string(magic));
    }
    if (length < 0 || size_t(length) < kMinBatchLength)
      return reject(ErrorCode::kCorruptMessage, index, pos,
                    "batch length " + std::to_string(length) + " below the minimum 49");
    size_t total = bl::kLogOverhead + size_t(length);
    // Truncation first: a garbage length is corruption, not a batch too large.
    if (total > left)
      return reject(ErrorCode::kCorruptMessage, index, pos,
                    "truncated: batch of " + std::to_string(total) + " bytes, " +
                        std::to_string(left) + " present");
    if (total > opts.max_batch_bytes)
      return reject(ErrorCode::kMessageTooLarge, index, pos,
                    "batch of " + std::to_string(total) + " bytes exceeds the limit of " +
                        std::to_string(opts.max_batch_bytes));
    BatchInfo info = BatchInfo::read(p);
    if (auto r = check_batch(p, info, opts)) return reject(r->error, index, pos, r->reason);

    BatchSummary& s = out.summary;
    if (index == 0) s.first = info;
    s.last = info;
    ++s.batch_count;
    s.record_count += info.record_count;
    s.max_timestamp = std::max(s.max_timestamp, info.max_timestamp);
    s.any_transactional |= info.transactional();
    s.any_control |= info.control();
    pos += total;
    ++index;
  }
  if (opts.single_batch && index > 1) {
    size_t second = out.summary.first.size_bytes;
    out.summary = {};
    return reject(ErrorCode::kInvalidRecord, 1, second, "more than one batch for the partition");
  }
  return out;
}

DecodedBatch decode_batch(std::span<const uint8_t> one_batch, size_t max_decompressed) {
  const uint8_t* p = one_batch.data();
  if (one_batch.size() < bl::kHeaderSize)
    throw DecodeError("batch of " + std::to_string(one_batch.size()) +
                      " bytes is shorter than the 61-byte header");
  DecodedBatch out;
  out.info = BatchInfo::read(p);
  const BatchInfo& info = out.info;
  if (int8_t(p[bl::kMagic]) != 2)
    throw DecodeError("magic " + std::to_string(int(int8_t(p[bl::kMagic]))) + ", expected 2");
  if (info.size_bytes != one_batch.size())
    throw DecodeError("batch length field says " + std::to_string(info.size_bytes) +
                      " bytes, buffer holds " + std::to_string(one_batch.size()));
  if (crc32c(p + bl::kAttributes, info.size_bytes - bl::kAttributes) != info.crc)
    throw DecodeError("CRC32C mismatch");
  if (info.record_count < 0) throw DecodeError("negative record count");

  BatchRecords body(p, info, max_decompressed);
  size_t cap = body.bytes().size() / kMinRecordSize;
  out.records.reserve(std::min(size_t(info.record_count), cap));
  std::vector<RecordHeader> headers;
  parse_records(
      body.bytes(), info.record_count,
      [&](const RecordView& r) {
        Record rec;
        rec.offset = wrapping_add(info.base_offset, r.offset_delta);
        rec.timestamp =
            info.log_append_time() ? info.max_timestamp
                                 : wrapping_add(info.base_timestamp, r.timestamp_delta);
        if (r.key) rec.key.emplace(*r.key);
        if (r.value) rec.value.emplace(*r.value);
        rec.headers = std::move(headers);
        headers.clear();
        out.records.push_back(std::move(rec));
      },
      [&](std::string_view k, const std::optional<std::string_view>& v) {
        RecordHeader h;
        h.key.assign(k);
        if (v) h.value.emplace(*v);
        headers.push_back(std::move(h));
      });
  return out;
}

// ---- RecordBatchBuilder -----------------------------------------------------------------

RecordBatchBuilder& RecordBatchBuilder::base_offset(int64_t v) {
  base_offset_ = v;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::partition_leader_epoch(int32_t v) {
  leader_epoch_ = v;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::compression(Compression c) {
  compression_ = c;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::producer(int64_t id, int16_t epoch, int32_t base_sequence) {
  producer_id_ = id;
  producer_epoch_ = epoch;
  base_sequence_ = base_sequence;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::transactional(bool on) {
  transactional_ = on;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::control(bool on) {
  control_ = on;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::log_append_time(int64_t broker_time_ms) {
  log_append_time_ = broker_time_ms;
  return *this;
}

RecordBatchBuilder& RecordBatchBuilder::add(int64_t timestamp, std::optional<std::string_view> key,
                                            std::optional<std::string_view> value,
                                            std::span<const RecordHeader> headers) {
  return add_at(last_offset_delta_ + 1, timestamp, key, value, headers);
}

RecordBatchBuilder& RecordBatchBuilder::add_at(int32_t offset_delta, int64_t timestamp,
                                               std::optional<std::string_view> key,
                                               std::optional<std::string_view> value,
                                               std::span<const RecordHeader> headers) {
  if (offset_delta <= last_offset_delta_)
    throw std::invalid_argument("RecordBatchBuilder: offset deltas must increase");
  if (count_ == 0) base_timestamp_ = timestamp;
  max_timestamp_ = count_ == 0 ? timestamp : std::max(max_timestamp_, timestamp);

  WireWriter w;
  w.int8(0);  // record attributes
  w.varlong(int64_t(uint64_t(timestamp) - uint64_t(base_timestamp_)));
  w.varint(offset_delta);
  auto bytes = [&](const std::optional<std::string_view>& b) {
    if (!b) return w.varint(-1);
    w.varint(int32_t(b->size()));
    w.raw(*b);
  };
  bytes(key);
  bytes(value);
  w.varint(int32_t(headers.size()));
  for (const auto& h : headers) {
    bytes(std::string_view(h.key));
    bytes(h.value ? std::optional<std::string_view>(*h.value) : std::nullopt);
  }
  std::string rec = w.finish_bytes();
  WireWriter len;
  len.varint(int32_t(rec.size()));
  body_ += len.finish_bytes();
  body_ += rec;
  ++count_;
  last_offset_delta_ = offset_delta;
  return *this;
}

std::string RecordBatchBuilder::build() const {
  std::string records = compress(compression_, body_);
  std::string out(bl::kHeaderSize, '\0');
  out += records;
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  int16_t attributes = int16_t(compression_);
  if (log_append_time_) attributes |= batch_attributes::kTimestampTypeLogAppend;
  if (transactional_) attributes |= batch_attributes::kTransactional;
  if (control_) attributes |= batch_attributes::kControl;
  store_be<int64_t>(p + bl::kBaseOffset, base_offset_);
  store_be<int32_t>(p + bl::kBatchLength, int32_t(out.size() - bl::kLogOverhead));
  store_be<int32_t>(p + bl::kPartitionLeaderEpoch, leader_epoch_);
  p[bl::kMagic] = 2;
  store_be<int16_t>(p + bl::kAttributes, attributes);
  store_be<int32_t>(p + bl::kLastOffsetDelta, std::max(last_offset_delta_, 0));
  store_be<int64_t>(p + bl::kBaseTimestamp, base_timestamp_);
  store_be<int64_t>(p + bl::kMaxTimestamp, log_append_time_ ? *log_append_time_ : max_timestamp_);
  store_be<int64_t>(p + bl::kProducerId, producer_id_);
  store_be<int16_t>(p + bl::kProducerEpoch, producer_epoch_);
  store_be<int32_t>(p + bl::kBaseSequence, base_sequence_);
  store_be<int32_t>(p + bl::kRecordCount, count_);
  store_be<uint32_t>(p + bl::kCrc, crc32c(p + bl::kAttributes, out.size() - bl::kAttributes));
  return out;
}

}  // namespace sluice::kafka
