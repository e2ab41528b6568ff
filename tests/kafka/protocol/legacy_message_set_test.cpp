#include "kafka/protocol/legacy_message_set.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <optional>
#include <string>

#include "common/byte_order.h"
#include "kafka/protocol/compression.h"
#include "kafka/protocol/record_batch.h"

namespace sluice::kafka {
namespace {

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

template <class T>
std::string be(T v) {
  std::string s(sizeof v, '\0');
  store_be(s.data(), v);
  return s;
}

std::string legacy_bytes(const std::optional<std::string>& b) {
  return b ? be<int32_t>(int32_t(b->size())) + *b : be<int32_t>(-1);
}

/// offset | size | crc | magic | attributes | [timestamp] | key | value
std::string message(int64_t offset, int8_t magic, int8_t attributes, int64_t timestamp,
                    const std::optional<std::string>& key, const std::optional<std::string>& value) {
  std::string body;
  body.push_back(char(magic));
  body.push_back(char(attributes));
  if (magic == 1) body += be<int64_t>(timestamp);
  body += legacy_bytes(key) + legacy_bytes(value);
  uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size())));
  std::string m = be<uint32_t>(crc) + body;
  return be<int64_t>(offset) + be<int32_t>(int32_t(m.size())) + m;
}

DecodedBatch convert_ok(const std::string& set, LegacyConvertOptions o = {}) {
  LegacyConversion c = convert_legacy_to_v2(bytes(set), o);
  EXPECT_TRUE(c.ok()) << c.reason;
  BatchValidation v = validate_batches(bytes(c.v2_batch));
  EXPECT_TRUE(v.ok()) << v.reason;
  return decode_batch(bytes(c.v2_batch), 64 << 20);
}

ErrorCode convert_error(const std::string& set, LegacyConvertOptions o = {}) {
  LegacyConversion c = convert_legacy_to_v2(bytes(set), o);
  EXPECT_TRUE(c.v2_batch.empty() || c.ok());
  return c.error;
}

// Message sets written by kafkajs 2.2's encoders: ("a", "one", t=1600000000000) and
// (null, "two", t=1600000000001); the gzip ones wrap the same two in one message.
const std::string kKafkajsV0 = unhex(
    "ffffffffffffffff000000124d193dac00000000000161000000036f6e65ffffffffffffffff000000116732f40b"
    "0000ffffffff0000000374776f");
const std::string kKafkajsV1 = unhex(
    "ffffffffffffffff0000001a567769e3010000000174876e80000000000161000000036f6e65ffffffffffffffff"
    "0000001993668c31010000000174876e8001ffffffff0000000374776f");
const std::string kV0Gzip = unhex(
    "00000000000000010000004bfa2adede0001ffffffff0000003d1f8b080000000000000363608003215f49db3560"
    "166322030303737e5e2a54869181814130dde80b3703c3ffffffff83244bcaf301b41d20093b000000");
const std::string kV1Gzip = unhex(
    "00000000000000010000005c967347d7010100000174876e8001ffffffff000000461f8b08000000000000036360"
    "8003a9b0f2ccc78c0c0c0c8c25ed790d2011c644060606e6fcbc54a80a90a4e4e4b41e43b82ac6ffffffff07292a"
    "29cf0700f0c2d1694b000000");

void expect_kafkajs_pair(const DecodedBatch& d, int64_t ts0, int64_t ts1) {
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0], (Record{0, ts0, "a", "one", {}}));
  EXPECT_EQ(d.records[1], (Record{1, ts1, std::nullopt, "two", {}}));
}

TEST(LegacyMessageSet, DetectsMagicV0AndV1Only) {
  EXPECT_TRUE(is_legacy_message_set(bytes(kKafkajsV0)));
  EXPECT_TRUE(is_legacy_message_set(bytes(kKafkajsV1)));
  RecordBatchBuilder b;
  b.add(1, "k", "v");
  EXPECT_FALSE(is_legacy_message_set(bytes(b.build())));
  EXPECT_FALSE(is_legacy_message_set(bytes(kKafkajsV0.substr(0, 16))));
}

TEST(LegacyMessageSet, KafkajsV0TakesTheBrokerTime) {
  LegacyConvertOptions o;
  o.broker_time_ms = 1700000000999;
  DecodedBatch d = convert_ok(kKafkajsV0, o);
  expect_kafkajs_pair(d, 1700000000999, 1700000000999);
  EXPECT_EQ(d.info.producer_id, -1);
  EXPECT_EQ(d.info.compression_id(), 0);
  o.broker_time_ms = -1;  // Kafka's NO_TIMESTAMP
  expect_kafkajs_pair(convert_ok(kKafkajsV0, o), -1, -1);
}

TEST(LegacyMessageSet, KafkajsV1KeepsTimestamps) {
  expect_kafkajs_pair(convert_ok(kKafkajsV1), 1600000000000, 1600000000001);
}

TEST(LegacyMessageSet, GzipWrappersAreUnwrapped) {
  LegacyConvertOptions o;
  o.broker_time_ms = 5;
  DecodedBatch d0 = convert_ok(kV0Gzip, o);
  expect_kafkajs_pair(d0, 5, 5);
  EXPECT_EQ(d0.info.compression_id(), int(Compression::kGzip));
  DecodedBatch d1 = convert_ok(kV1Gzip, o);
  expect_kafkajs_pair(d1, 1600000000000, 1600000000001);
  o.keep_compression = false;
  EXPECT_EQ(convert_ok(kV1Gzip, o).info.compression_id(), 0);
}

std::string inner_set(int8_t magic) {
  return message(0, magic, 0, 111, "k0", "v0") + message(1, magic, 0, 222, std::nullopt, "v1") +
         message(2, magic, 0, 333, "k2", std::nullopt);
}

TEST(LegacyMessageSet, SnappyAndLz4Wrappers) {
  for (int8_t magic : {0, 1}) {
    for (Compression c : {Compression::kSnappy, Compression::kLz4, Compression::kGzip}) {
      std::string z = compress(c, inner_set(magic));
      std::string set = message(2, magic, int8_t(c), 999, std::nullopt, z);
      LegacyConvertOptions o;
      o.broker_time_ms = 7;
      DecodedBatch d = convert_ok(set, o);
      ASSERT_EQ(d.records.size(), 3u) << compression_name(c);
      EXPECT_EQ(d.info.compression_id(), int(c));
      int64_t t = magic == 0 ? 7 : 111;
      EXPECT_EQ(d.records[0], (Record{0, t, "k0", "v0", {}}));
      EXPECT_EQ(d.records[1].key, std::nullopt);
      EXPECT_EQ(d.records[2].value, std::nullopt);
      EXPECT_EQ(d.records[2].timestamp, magic == 0 ? 7 : 333);
    }
  }
}

TEST(LegacyMessageSet, Lz4WithKafkaV0BrokenHeaderChecksum) {
  std::string z = compress(Compression::kLz4, inner_set(0));
  // KAFKA-3160: the HC byte hashed the magic number too; any value must pass for legacy.
  z[6] = char(z[6] ^ 0x3C);
  DecodedBatch d = convert_ok(message(0, 0, 3, 0, std::nullopt, z));
  EXPECT_EQ(d.records.size(), 3u);
}

TEST(LegacyMessageSet, LogAppendTimeWrapperStampsItsTimeOnInnerMessages) {
  std::string z = compress(Compression::kGzip, inner_set(1));
  DecodedBatch d = convert_ok(message(2, 1, 1 | 0x08, 4242, std::nullopt, z));
  for (const auto& r : d.records) EXPECT_EQ(r.timestamp, 4242);
}

TEST(LegacyMessageSet, MixedMagicsAtTopLevel) {
  std::string set = message(0, 0, 0, 0, "x", "0") + message(1, 1, 0, 50, "y", "1");
  LegacyConvertOptions o;
  o.broker_time_ms = 10;
  DecodedBatch d = convert_ok(set, o);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].timestamp, 10);
  EXPECT_EQ(d.records[1].timestamp, 50);
  EXPECT_EQ(d.info.max_timestamp, 50);
}

TEST(LegacyMessageSet, EveryFlippedByteUnderTheCrcIsRejected) {
  for (const std::string* set : {&kKafkajsV0, &kKafkajsV1, &kV1Gzip}) {
    // First message: offset 0-7, size 8-11, crc 12-15, then the covered bytes.
    int32_t size = load_be<int32_t>(set->data() + 8);
    for (size_t i = 12; i < 12 + size_t(size); ++i) {
      std::string bad = *set;
      bad[i] = char(bad[i] ^ 0x01);
      EXPECT_EQ(convert_error(bad), ErrorCode::kCorruptMessage) << "byte " << i;
    }
  }
  // The offset is not covered and not used.
  std::string ok = kKafkajsV1;
  ok[3] ^= 0x40;
  EXPECT_EQ(convert_error(ok), ErrorCode::kNone);
}

TEST(LegacyMessageSet, BadInnerCrcIsRejected) {
  std::string inner = inner_set(1);
  inner[inner.size() - 1] ^= 0x20;  // the last inner message's value... which is null: its length
  std::string set = message(0, 1, 1, 0, std::nullopt, compress(Compression::kGzip, inner));
  EXPECT_EQ(convert_error(set), ErrorCode::kCorruptMessage);
  inner = inner_set(1);
  inner[12 + 4 + 3] ^= 0x01;  // inside the first inner message's timestamp
  set = message(0, 1, 1, 0, std::nullopt, compress(Compression::kGzip, inner));
  EXPECT_EQ(convert_error(set), ErrorCode::kCorruptMessage);
}

TEST(LegacyMessageSet, TruncationIsRejected) {
  for (const std::string* set : {&kKafkajsV0, &kV0Gzip}) {
    size_t first_end = 12 + size_t(load_be<int32_t>(set->data() + 8));
    for (size_t n = 1; n < set->size(); ++n) {
      if (n == first_end) continue;  // a whole first message is a valid, shorter set
      EXPECT_EQ(convert_error(set->substr(0, n)), ErrorCode::kCorruptMessage) << n;
    }
  }
  EXPECT_EQ(convert_error(""), ErrorCode::kInvalidRecord);
}

TEST(LegacyMessageSet, StructuralRules) {
  std::string inner = inner_set(1);
  std::string wrapped = message(0, 1, 1, 0, std::nullopt, compress(Compression::kGzip, inner));
  // A wrapper inside a wrapper.
  std::string nested = message(0, 1, 1, 0, std::nullopt, compress(Compression::kGzip, wrapped));
  EXPECT_EQ(convert_error(nested), ErrorCode::kInvalidRecord);
  // A wrapper without a value.
  EXPECT_EQ(convert_error(message(0, 1, 1, 0, std::nullopt, std::nullopt)), ErrorCode::kInvalidRecord);
  // Inner messages of another magic than their wrapper.
  std::string v0_in_v1 = message(0, 1, 1, 0, std::nullopt, compress(Compression::kGzip, inner_set(0)));
  EXPECT_EQ(convert_error(v0_in_v1), ErrorCode::kInvalidRecord);
  // zstd needs magic v2.
  std::string zstd = message(0, 1, 4, 0, std::nullopt, compress(Compression::kZstd, inner));
  EXPECT_EQ(convert_error(zstd), ErrorCode::kUnsupportedCompressionType);
  // A wrapper of nothing.
  EXPECT_EQ(convert_error(message(0, 1, 1, 0, std::nullopt, compress(Compression::kGzip, ""))),
            ErrorCode::kInvalidRecord);
  // Undecompressable wrapper value.
  EXPECT_EQ(convert_error(message(0, 1, 1, 0, std::nullopt, "not gzip")), ErrorCode::kCorruptMessage);
  // Negative key length under a valid CRC.
  std::string neg = message(0, 0, 0, 0, "kk", "v");
  store_be<int32_t>(neg.data() + 18, -2);
  uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(neg.data() + 16), uInt(neg.size() - 16)));
  store_be<uint32_t>(neg.data() + 12, crc);
  EXPECT_EQ(convert_error(neg), ErrorCode::kCorruptMessage);
}

TEST(LegacyMessageSet, DecompressionBombLimitIsEnforced) {
  std::string big_value(1 << 20, 'x');
  std::string inner;
  for (int i = 0; i < 8; ++i) inner += message(i, 1, 0, i, std::nullopt, big_value);
  std::string set = message(7, 1, 1, 0, std::nullopt, compress(Compression::kGzip, inner));
  LegacyConvertOptions o;
  o.max_decompressed_bytes = 4 << 20;
  LegacyConversion c = convert_legacy_to_v2(bytes(set), o);
  EXPECT_EQ(c.error, ErrorCode::kCorruptMessage);
  EXPECT_NE(c.reason.find("limit"), std::string::npos) << c.reason;
  // The limit holds for all wrappers together, not per wrapper.
  o.max_decompressed_bytes = 5 << 20;
  std::string half = message(3, 1, 1, 0, std::nullopt,
                             compress(Compression::kGzip, inner.substr(0, inner.size() / 2)));
  EXPECT_EQ(convert_error(half, o), ErrorCode::kNone);
  EXPECT_EQ(convert_error(half + half + half, o), ErrorCode::kCorruptMessage);
}

}  // namespace
}  // namespace sluice::kafka
