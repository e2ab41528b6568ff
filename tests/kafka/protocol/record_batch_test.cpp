#include "kafka/protocol/record_batch.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "common/batch_header.h"
#include "common/byte_order.h"
#include "common/crc32c.h"
#include "kafka/protocol/wire.h"

namespace sluice::kafka {
namespace {

namespace bl = batch_layout;

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// Recomputes the CRC after a test edits the covered bytes on purpose.
void recrc(std::string& b) {
  auto* p = reinterpret_cast<uint8_t*>(b.data());
  store_be<uint32_t>(p + bl::kCrc, crc32c(p + bl::kAttributes, b.size() - bl::kAttributes));
}

constexpr size_t kMax = 64 << 20;

std::vector<Record> sample_records() {
  std::vector<Record> rs;
  rs.push_back({0, 1700000000000, "key-0", "value-0", {{"trace", "abc"}, {"empty", std::nullopt}}});
  rs.push_back({1, 1700000000007, std::nullopt, "no key", {}});
  rs.push_back({2, 1699999999990, "tombstone", std::nullopt, {}});  // earlier than the base
  rs.push_back({3, 1700000000003, "", "", {{"", ""}}});
  rs.push_back({4, 1700000000004, std::string(300, 'k'), std::string(70000, 'v'), {}});
  return rs;
}

std::string build(const std::vector<Record>& rs, Compression c, int64_t base_offset = 0) {
  RecordBatchBuilder b;
  b.compression(c).base_offset(base_offset);
  for (const auto& r : rs) {
    std::optional<std::string_view> k, v;
    if (r.key) k = *r.key;
    if (r.value) v = *r.value;
    b.add(r.timestamp, k, v, r.headers);
  }
  return b.build();
}

class BatchCodecTest : public ::testing::TestWithParam<Compression> {};

TEST_P(BatchCodecTest, BuildValidateDecodeRoundTrip) {
  auto rs = sample_records();
  std::string batch = build(rs, GetParam());
  BatchValidation v = validate_batches(bytes(batch));
  ASSERT_TRUE(v.ok()) << v.reason;
  EXPECT_EQ(v.summary.batch_count, 1);
  EXPECT_EQ(v.summary.record_count, 5);
  EXPECT_EQ(v.summary.max_timestamp, 1700000000007);
  EXPECT_EQ(v.summary.first.compression_id(), int(GetParam()));
  EXPECT_EQ(v.summary.first.producer_id, -1);
  EXPECT_EQ(v.summary.first.base_timestamp, 1700000000000);

  DecodedBatch d = decode_batch(bytes(batch), kMax);
  EXPECT_EQ(d.records, rs);
  EXPECT_EQ(d.info.last_offset_delta, 4);
  EXPECT_EQ(d.info.size_bytes, batch.size());
}

TEST_P(BatchCodecTest, DecodeAppliesTheBaseOffset) {
  auto rs = sample_records();
  std::string batch = build(rs, GetParam(), 1000);
  DecodedBatch d = decode_batch(bytes(batch), kMax);
  ASSERT_EQ(d.records.size(), rs.size());
  EXPECT_EQ(d.records.front().offset, 1000);
  EXPECT_EQ(d.records.back().offset, 1004);
  // A produced batch must start at 0; a batch read from a log need not.
  EXPECT_EQ(validate_batches(bytes(batch)).error, ErrorCode::kInvalidRecord);
  ValidateOptions log;
  log.client_produce = false;
  EXPECT_TRUE(validate_batches(bytes(batch), log).ok());
}

TEST_P(BatchCodecTest, EveryFlippedByteUnderTheCrcIsRejected) {
  std::vector<Record> rs = {{0, 5, "k", "v", {{"h", "x"}}}, {1, 6, std::nullopt, "w", {}}};
  std::string batch = build(rs, GetParam());
  for (size_t i = bl::kAttributes; i < batch.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xFF}) {
      std::string bad = batch;
      bad[i] = char(bad[i] ^ mask);
      BatchValidation v = validate_batches(bytes(bad));
      EXPECT_EQ(v.error, ErrorCode::kCorruptMessage) << "byte " << i << ": " << v.reason;
      EXPECT_THROW(decode_batch(bytes(bad), kMax), DecodeError) << "byte " << i;
    }
  }
  // The CRC itself.
  for (size_t i = bl::kCrc; i < bl::kAttributes; ++i) {
    std::string bad = batch;
    bad[i] ^= 0x10;
    EXPECT_EQ(validate_batches(bytes(bad)).error, ErrorCode::kCorruptMessage);
  }
}

TEST_P(BatchCodecTest, EveryTruncationIsRejected) {
  std::string batch = build(sample_records(), GetParam());
  for (size_t n = 1; n < batch.size(); n += (n < 100 ? 1 : 331)) {
    std::string cut = batch.substr(0, n);
    BatchValidation v = validate_batches(bytes(cut));
    EXPECT_EQ(v.error, ErrorCode::kCorruptMessage) << n << ": " << v.reason;
    EXPECT_THROW(decode_batch(bytes(cut), kMax), DecodeError);
  }
}

TEST_P(BatchCodecTest, TwoBatchesInOneBuffer) {
  RecordBatchBuilder a, b;
  a.compression(GetParam()).producer(77, 3, 10).add(1, "a", "1").add(2, "b", "2");
  b.compression(GetParam()).producer(77, 3, 12).add(9, "c", "3");
  std::string both = a.build() + b.build();
  BatchValidation v = validate_batches(bytes(both));
  ASSERT_TRUE(v.ok()) << v.reason;
  EXPECT_EQ(v.summary.batch_count, 2);
  EXPECT_EQ(v.summary.record_count, 3);
  EXPECT_EQ(v.summary.max_timestamp, 9);
  EXPECT_EQ(v.summary.first.producer_id, 77);
  EXPECT_EQ(v.summary.first.producer_epoch, 3);
  EXPECT_EQ(v.summary.first.base_sequence, 10);
  EXPECT_EQ(v.summary.first.last_sequence(), 11);
  EXPECT_EQ(v.summary.last.base_sequence, 12);
  EXPECT_EQ(v.summary.last.last_sequence(), 12);

  ValidateOptions one;
  one.single_batch = true;
  EXPECT_EQ(validate_batches(bytes(both), one).error, ErrorCode::kInvalidRecord);
  // Trailing bytes after the second batch are a corrupt third one, whatever they hold.
  for (char fill : {'\0', '\1', '\2', '\xff'}) {
    std::string extra = both + std::string(20, fill);
    EXPECT_EQ(validate_batches(bytes(extra)).error, ErrorCode::kCorruptMessage);
  }
}

TEST_P(BatchCodecTest, DecompressionBombIsRejected) {
  RecordBatchBuilder b;
  b.compression(GetParam());
  std::string big(1 << 20, 'z');
  for (int i = 0; i < 4; ++i) b.add(i, std::nullopt, big);
  std::string batch = b.build();
  ValidateOptions small;
  small.max_batch_bytes = 16 << 20;
  small.max_decompressed_bytes = 1 << 20;
  BatchValidation v = validate_batches(bytes(batch), small);
  if (GetParam() == Compression::kNone) {
    EXPECT_TRUE(v.ok()) << v.reason;  // nothing to inflate; the batch size limit applies
  } else {
    EXPECT_EQ(v.error, ErrorCode::kCorruptMessage) << v.reason;
    EXPECT_THROW(decode_batch(bytes(batch), 1 << 20), DecodeError);
  }
  EXPECT_EQ(decode_batch(bytes(batch), 8 << 20).records.size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, BatchCodecTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kSnappy, Compression::kLz4,
                                           Compression::kZstd),
                         [](const auto& info) { return std::string(compression_name(info.param)); });

// Batches written by kafkajs 2.2's own encoder (tests/integration/node_modules): two records,
// ("k1", "v1", header h=x) and (null, "second"), uncompressed and gzip.
TEST(KnownBatches, KafkajsUncompressedAndGzip) {
  for (const char* hex :
       {"00000000000000000000004d00000000025b8efb050000000000010000018bcfe568000000018bcfe56805ff"
        "ffffffffffffff000000000000000000021c000000046b31047631020268027818000a02010c7365636f6e"
        "6400",
        "000000000000000000000061000000000223e2840b0001000000010000018bcfe568000000018bcfe56805ff"
        "ffffffffffffff000000000000000000021f8b08000000000000039361606060c9366429336462ca60aa90"
        "60e06262e4294e4dcecf4b610000690768dc1c000000"}) {
    std::string batch = unhex(hex);
    BatchValidation v = validate_batches(bytes(batch));
    ASSERT_TRUE(v.ok()) << v.reason;
    DecodedBatch d = decode_batch(bytes(batch), kMax);
    ASSERT_EQ(d.records.size(), 2u);
    EXPECT_EQ(d.records[0], (Record{0, 1700000000000, "k1", "v1", {{"h", "x"}}}));
    EXPECT_EQ(d.records[1], (Record{1, 1700000000005, std::nullopt, "second", {}}));
  }
}

TEST(ValidateBatches, EmptyInputIsInvalid) {
  EXPECT_EQ(validate_batches({}).error, ErrorCode::kInvalidRecord);
}

TEST(ValidateBatches, UnknownCodecIsUnsupported) {
  std::string batch = build(sample_records(), Compression::kNone);
  for (int codec : {5, 6, 7}) {
    std::string bad = batch;
    bad[bl::kAttributes + 1] = char((bad[bl::kAttributes + 1] & ~7) | codec);
    recrc(bad);
    EXPECT_EQ(validate_batches(bytes(bad)).error, ErrorCode::kUnsupportedCompressionType);
    EXPECT_THROW(decode_batch(bytes(bad), kMax), DecodeError);
  }
}

TEST(ValidateBatches, TooLargeBatch) {
  std::string batch = build(sample_records(), Compression::kNone);
  ValidateOptions o;
  o.max_batch_bytes = batch.size() - 1;
  EXPECT_EQ(validate_batches(bytes(batch), o).error, ErrorCode::kMessageTooLarge);
  o.max_batch_bytes = batch.size();
  EXPECT_TRUE(validate_batches(bytes(batch), o).ok());
}

TEST(ValidateBatches, BadLengthsAndMagic) {
  std::string batch = build(sample_records(), Compression::kNone);
  auto with_length = [&](int32_t len) {
    std::string b = batch;
    store_be<int32_t>(b.data() + bl::kBatchLength, len);
    return validate_batches(bytes(b)).error;
  };
  EXPECT_EQ(with_length(-1), ErrorCode::kCorruptMessage);
  EXPECT_EQ(with_length(0), ErrorCode::kCorruptMessage);
  EXPECT_EQ(with_length(48), ErrorCode::kCorruptMessage);
  EXPECT_EQ(with_length(int32_t(batch.size())), ErrorCode::kCorruptMessage);  // past the end
  EXPECT_EQ(with_length(int32_t(batch.size() - 13)), ErrorCode::kCorruptMessage);

  std::string m = batch;
  m[bl::kMagic] = 3;
  EXPECT_EQ(validate_batches(bytes(m)).error, ErrorCode::kCorruptMessage);
  m[bl::kMagic] = 1;
  EXPECT_EQ(validate_batches(bytes(m)).error, ErrorCode::kUnsupportedForMessageFormat);
  EXPECT_THROW(decode_batch(bytes(m), kMax), DecodeError);
  // The partition leader epoch is outside the CRC: producers send -1, anything passes.
  std::string e = batch;
  store_be<int32_t>(e.data() + bl::kPartitionLeaderEpoch, 12345);
  EXPECT_TRUE(validate_batches(bytes(e)).ok());
}

TEST(ValidateBatches, CountsMustAgreeWithOffsetDeltas) {
  std::string batch = build(sample_records(), Compression::kNone);  // 5 records
  auto edit = [&](size_t at, int32_t v, const ValidateOptions& o = {}) {
    std::string b = batch;
    store_be<int32_t>(b.data() + at, v);
    recrc(b);
    return validate_batches(bytes(b), o);
  };
  EXPECT_EQ(edit(bl::kRecordCount, 4).error, ErrorCode::kInvalidRecord);
  EXPECT_EQ(edit(bl::kRecordCount, 6).error, ErrorCode::kInvalidRecord);
  EXPECT_EQ(edit(bl::kRecordCount, -1).error, ErrorCode::kInvalidRecord);
  EXPECT_EQ(edit(bl::kRecordCount, INT32_MAX).error, ErrorCode::kInvalidRecord);
  EXPECT_EQ(edit(bl::kLastOffsetDelta, -1).error, ErrorCode::kInvalidRecord);
  EXPECT_EQ(edit(bl::kLastOffsetDelta, 3).error, ErrorCode::kInvalidRecord);
  // From a log, a larger lastOffsetDelta is fine (compaction leaves gaps)...
  ValidateOptions log;
  log.client_produce = false;
  EXPECT_TRUE(edit(bl::kLastOffsetDelta, 9, log).ok());
  // ...but not more records than offsets.
  EXPECT_EQ(edit(bl::kLastOffsetDelta, 3, log).error, ErrorCode::kInvalidRecord);
}

TEST(ValidateBatches, CompactedBatchWithGaps) {
  RecordBatchBuilder b;
  b.add_at(0, 1, "a", "1").add_at(3, 2, "b", "2").add_at(7, 3, "c", std::nullopt);
  std::string batch = b.build();
  EXPECT_EQ(validate_batches(bytes(batch)).error, ErrorCode::kInvalidRecord);  // not from a client
  ValidateOptions log;
  log.client_produce = false;
  BatchValidation v = validate_batches(bytes(batch), log);
  ASSERT_TRUE(v.ok()) << v.reason;
  EXPECT_EQ(v.summary.first.last_offset_delta, 7);
  DecodedBatch d = decode_batch(bytes(batch), kMax);
  ASSERT_EQ(d.records.size(), 3u);
  EXPECT_EQ(d.records[1].offset, 3);
  EXPECT_EQ(d.records[2].offset, 7);
  EXPECT_THROW(b.add_at(7, 4, "d", "4"), std::invalid_argument);
}

TEST(ValidateBatches, ProducerRules) {
  RecordBatchBuilder control;
  control.producer(5, 0, 0).transactional().control().add(1, unhex("00000000"), unhex("000000000001"));
  std::string c = control.build();
  EXPECT_EQ(validate_batches(bytes(c)).error, ErrorCode::kInvalidRecord);
  ValidateOptions log;
  log.client_produce = false;
  BatchValidation v = validate_batches(bytes(c), log);
  ASSERT_TRUE(v.ok()) << v.reason;
  EXPECT_TRUE(v.summary.any_control);
  EXPECT_TRUE(v.summary.any_transactional);

  RecordBatchBuilder no_pid;
  no_pid.transactional().add(1, "k", "v");
  std::string n = no_pid.build();
  EXPECT_EQ(validate_batches(bytes(n)).error, ErrorCode::kInvalidRecord);

  RecordBatchBuilder no_seq;
  no_seq.producer(5, 0, -1).add(1, "k", "v");
  std::string s = no_seq.build();
  EXPECT_EQ(validate_batches(bytes(s)).error, ErrorCode::kInvalidRecord);

  RecordBatchBuilder txn;
  txn.producer(5, 2, 100).transactional().add(1, "k", "v");
  std::string t = txn.build();
  v = validate_batches(bytes(t));
  ASSERT_TRUE(v.ok()) << v.reason;
  EXPECT_TRUE(v.summary.any_transactional);
  EXPECT_FALSE(v.summary.any_control);
}

TEST(ValidateBatches, MalformedRecordUnderAValidCrc) {
  // One record: length 1e, attributes, ts delta, offset delta, key "k" (len 02 = 1), ...
  RecordBatchBuilder b;
  b.add(1, "k", "v");
  std::string batch = b.build();
  size_t key_len = bl::kHeaderSize + 4;  // length, attributes, ts delta, offset delta
  ASSERT_EQ(batch[key_len], 2);          // zigzag(1)
  for (char bad : {char(0x7E) /*63: past the end*/, char(0x03) /*-2*/, char(0x00) /*0: shifts*/}) {
    std::string m = batch;
    m[key_len] = bad;
    recrc(m);
    BatchValidation v = validate_batches(bytes(m));
    EXPECT_EQ(v.error, ErrorCode::kInvalidRecord) << v.reason;
    EXPECT_THROW(decode_batch(bytes(m), kMax), DecodeError);
  }
  // Offset delta out of sequence.
  std::string m = batch;
  m[bl::kHeaderSize + 3] = 2;  // offset delta 1 instead of 0
  recrc(m);
  EXPECT_EQ(validate_batches(bytes(m)).error, ErrorCode::kInvalidRecord);
  // With record checks off, only the header is looked at.
  ValidateOptions shallow;
  shallow.check_records = false;
  EXPECT_TRUE(validate_batches(bytes(m), shallow).ok());
}

TEST(ValidateBatches, CompressedGarbageUnderAValidCrcIsCorrupt) {
  RecordBatchBuilder b;
  b.compression(Compression::kZstd).add(1, "k", "v");
  std::string batch = b.build();
  batch.pop_back();  // the zstd frame loses its last byte
  store_be<int32_t>(batch.data() + bl::kBatchLength, int32_t(batch.size() - bl::kLogOverhead));
  recrc(batch);
  EXPECT_EQ(validate_batches(bytes(batch)).error, ErrorCode::kCorruptMessage);
}

TEST(DecodeBatch, LogAppendTimeRecordsCarryTheBatchTime) {
  RecordBatchBuilder b;
  b.log_append_time(1234567).add(10, "a", "1").add(20, "b", "2");
  std::string batch = b.build();
  DecodedBatch d = decode_batch(bytes(batch), kMax);
  EXPECT_TRUE(d.info.log_append_time());
  EXPECT_EQ(d.records[0].timestamp, 1234567);
  EXPECT_EQ(d.records[1].timestamp, 1234567);
}

TEST(DecodeBatch, RejectsABufferWithMoreThanOneBatch) {
  std::string one = build(sample_records(), Compression::kNone);
  std::string two = one + one;
  EXPECT_THROW(decode_batch(bytes(two), kMax), DecodeError);
  EXPECT_THROW(decode_batch({}, kMax), DecodeError);
}

TEST(BatchInfo, LastSequenceWrapsLikeKafka) {
  BatchInfo i;
  i.base_sequence = INT32_MAX - 1;
  i.last_offset_delta = 3;
  EXPECT_EQ(i.last_sequence(), 1);
  i.base_sequence = -1;
  EXPECT_EQ(i.last_sequence(), -1);
}

TEST(RecordBatchBuilder, HeaderFieldsAreWhereBatchHeaderViewReadsThem) {
  RecordBatchBuilder b;
  b.base_offset(42).partition_leader_epoch(7).producer(99, 4, 1000).compression(Compression::kLz4);
  b.add(500, "k", "v").add(400, "k2", "v2");
  std::string batch = b.build();
  BatchHeaderView h(reinterpret_cast<const uint8_t*>(batch.data()));
  EXPECT_EQ(h.base_offset(), 42);
  EXPECT_EQ(h.total_size(), batch.size());
  EXPECT_EQ(h.magic(), 2);
  EXPECT_EQ(h.compression(), 3);
  EXPECT_EQ(h.last_offset_delta(), 1);
  EXPECT_EQ(h.last_offset(), 43);
  EXPECT_EQ(h.base_timestamp(), 500);
  EXPECT_EQ(h.max_timestamp(), 500);
  EXPECT_EQ(h.producer_id(), 99);
  EXPECT_EQ(h.producer_epoch(), 4);
  EXPECT_EQ(h.base_sequence(), 1000);
  EXPECT_EQ(h.record_count(), 2);
  EXPECT_EQ(h.crc(), crc32c(batch.data() + bl::kAttributes, batch.size() - bl::kAttributes));
  EXPECT_EQ(load_be<int32_t>(batch.data() + bl::kPartitionLeaderEpoch), 7);
  EXPECT_EQ(b.build(), batch);  // build() does not consume the builder
}

TEST(RecordBatchBuilder, ExtremeTimestampsDoNotOverflow) {
  RecordBatchBuilder b;
  b.add(INT64_MAX, "a", "1").add(INT64_MIN, "b", "2").add(0, "c", "3");
  std::string batch = b.build();
  DecodedBatch d = decode_batch(bytes(batch), kMax);
  EXPECT_EQ(d.records[0].timestamp, INT64_MAX);
  EXPECT_EQ(d.records[1].timestamp, INT64_MIN);
  EXPECT_EQ(d.records[2].timestamp, 0);
}

TEST(ValidateBatches, RandomMutationsNeverCrash) {
  std::string good = build(sample_records(), Compression::kNone) + build(sample_records(), Compression::kGzip);
  std::mt19937 rng(11);
  for (int i = 0; i < 3000; ++i) {
    std::string m = good.substr(0, rng() % (good.size() + 1));
    for (int k = 0; k < 4 && !m.empty(); ++k) m[rng() % m.size()] = char(rng());
    if (i % 3 == 0 && m.size() > bl::kHeaderSize) recrc(m);
    (void)validate_batches(bytes(m));
  }
}

}  // namespace
}  // namespace sluice::kafka
