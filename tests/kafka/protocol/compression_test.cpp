#include "kafka/protocol/compression.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "kafka/protocol/wire.h"

namespace sluice::kafka {
namespace {

constexpr Compression kCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                   Compression::kLz4, Compression::kZstd};
constexpr Compression kRealCodecs[] = {Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                                       Compression::kZstd};
constexpr size_t kBig = 1 << 30;

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = char(rng());
  return s;
}

std::string repetitive(size_t n) {
  std::string s;
  while (s.size() < n) s += "user-42,click,/index.html,200;";
  s.resize(n);
  return s;
}

class CodecTest : public ::testing::TestWithParam<Compression> {};
// Codecs that actually compress (not kNone).
class CompressingCodecTest : public CodecTest {};
// Codecs whose framing marks its own end, so trailing bytes are detectable (xerial snappy
// is a sequence of chunks: junk after the last one reads as a truncated chunk or not at all).
class SelfDelimitingCodecTest : public CodecTest {};

TEST_P(CodecTest, RoundTripsEmptySmallRandomAndRepetitive) {
  Compression c = GetParam();
  for (const std::string& in : {std::string(), std::string("x"), std::string("hello, kafka"),
                                random_bytes(1 << 20, 7), repetitive(1 << 20)}) {
    std::string z = compress(c, in);
    EXPECT_EQ(decompress(c, z, in.size()), in) << compression_name(c) << " size " << in.size();
  }
}

TEST_P(CompressingCodecTest, RepetitiveDataActuallyShrinks) {
  Compression c = GetParam();
  EXPECT_LT(compress(c, repetitive(1 << 20)).size(), size_t(1 << 18));
}

TEST_P(CodecTest, DecompressionBombLimitIsEnforced) {
  Compression c = GetParam();
  std::string zeros(4 << 20, '\0');
  std::string z = compress(c, zeros);
  EXPECT_EQ(decompress(c, z, zeros.size()).size(), zeros.size());  // exactly the limit: fine
  EXPECT_THROW(decompress(c, z, zeros.size() - 1), DecodeError);
  EXPECT_THROW(decompress(c, z, 1 << 20), DecodeError);
  EXPECT_THROW(decompress(c, z, 0), DecodeError);
}

TEST_P(CodecTest, UnlimitedOutputMeansSizeMax) {
  Compression c = GetParam();
  std::string in = repetitive(200000);
  EXPECT_EQ(decompress(c, compress(c, in), SIZE_MAX), in);
}

TEST_P(CompressingCodecTest, TruncatedFramesAreRejected) {
  Compression c = GetParam();
  std::string in = repetitive(100000) + random_bytes(3000, 1);
  std::string z = compress(c, in);
  for (size_t cut = 0; cut < z.size(); cut += (cut < 64 ? 1 : 97)) {
    std::string_view prefix(z.data(), cut);
    try {
      std::string out = decompress(c, prefix, kBig);
      // Xerial snappy is not self-terminating: a cut at a chunk boundary is a shorter stream.
      EXPECT_EQ(c, Compression::kSnappy) << "cut at " << cut;
      EXPECT_NE(out, in);
    } catch (const DecodeError&) {
    }
  }
}

TEST_P(SelfDelimitingCodecTest, TrailingGarbageIsRejected) {
  Compression c = GetParam();
  std::string z = compress(c, "some data") + "junk";
  EXPECT_THROW(decompress(c, z, kBig), DecodeError);
}

TEST_P(CodecTest, GarbageNeverCrashes) {
  Compression c = GetParam();
  std::mt19937 rng(3);
  std::string good = compress(c, repetitive(5000));
  for (int i = 0; i < 2000; ++i) {
    std::string bad = i % 2 ? random_bytes(rng() % 200, rng()) : good;
    if (i % 2 == 0)
      for (int k = 0; k < 3; ++k) bad[rng() % bad.size()] ^= char(1 + rng() % 255);
    try {
      std::string out = decompress(c, bad, 100000);
      EXPECT_LE(out.size(), 100000u);
    } catch (const DecodeError&) {
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest, ::testing::ValuesIn(kCodecs),
                         [](const auto& info) { return std::string(compression_name(info.param)); });
INSTANTIATE_TEST_SUITE_P(Compressing, CompressingCodecTest,
                         ::testing::Values(Compression::kGzip, Compression::kSnappy,
                                           Compression::kLz4, Compression::kZstd),
                         [](const auto& info) { return std::string(compression_name(info.param)); });
INSTANTIATE_TEST_SUITE_P(SelfDelimiting, SelfDelimitingCodecTest,
                         ::testing::Values(Compression::kGzip, Compression::kLz4,
                                           Compression::kZstd),
                         [](const auto& info) { return std::string(compression_name(info.param)); });

// Frames written by the codecs' own command-line tools (gzip 1.12, lz4 1.9.4, zstd 1.5.4),
// from `printf 'hello hello hello kafka' | <tool> -c`.
TEST(KnownFrames, GzipCli) {
  auto z = unhex("1f8b0800000000000003cb48cdc9c957c84022b313d3b21301728291e017000000");
  EXPECT_EQ(decompress(Compression::kGzip, z, 100), "hello hello hello kafka");
}

TEST(KnownFrames, Lz4CliWithContentChecksum) {
  auto z = unhex("04224d186440a70f0000006868656c6c6f200600506b61666b61000000005803a695");
  EXPECT_EQ(decompress(Compression::kLz4, z, 100), "hello hello hello kafka");
}

TEST(KnownFrames, ZstdCliStreamedWithoutContentSize) {
  auto z = unhex("28b52ffd04588d00005868656c6c6f206b61666b610100e14a114b0aa613");
  EXPECT_EQ(decompress(Compression::kZstd, z, 100), "hello hello hello kafka");
}

TEST(KnownFrames, ZlibWrappedDeflateIsAcceptedAsGzip) {
  auto z = unhex("789ccb48cdc9c957a8cac94c0200159503e6");
  EXPECT_EQ(decompress(Compression::kGzip, z, 100), "hello zlib");
}

TEST(KnownFrames, ConcatenatedGzipMembers) {
  auto z = unhex(
      "1f8b0800e62a046b02ff2b482c2a51c8cf4bd5510000eb3dfd230a0000001f8b0800e62a046b02ff2b482c2a"
      "512829cf0700271fb2e008000000");
  EXPECT_EQ(decompress(Compression::kGzip, z, 100), "part one, part two");
}

// Snappy blocks by hand: varint length, then literal elements (tag (len-1)<<2).
const std::string kRawHello = unhex("0510") + "hello";      // "hello"
const std::string kRawWorld = unhex("0718") + " world!";    // " world!"
const std::string kXerialHeader = unhex("82534e41505059000000000100000001");

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

TEST(KnownFrames, XerialSnappyByHand) {
  std::string frame = kXerialHeader + be32(uint32_t(kRawHello.size())) + kRawHello +
                      be32(uint32_t(kRawWorld.size())) + kRawWorld;
  EXPECT_EQ(decompress(Compression::kSnappy, frame, 100), "hello world!");
  EXPECT_EQ(decompress(Compression::kSnappy, kXerialHeader, 100), "");
  EXPECT_THROW(decompress(Compression::kSnappy, frame, 11), DecodeError);
  // A chunk length past the end, or negative.
  EXPECT_THROW(decompress(Compression::kSnappy, kXerialHeader + be32(100) + kRawHello, 100), DecodeError);
  EXPECT_THROW(decompress(Compression::kSnappy, kXerialHeader + be32(0xFFFFFFFF) + kRawHello, 100),
               DecodeError);
}

TEST(KnownFrames, RawSnappyBlockAsSomeClientsSendIt) {
  EXPECT_EQ(decompress(Compression::kSnappy, kRawHello, 100), "hello");
  EXPECT_THROW(decompress(Compression::kSnappy, kRawHello.substr(0, 5), 100), DecodeError);
}

TEST(KnownFrames, OurSnappyUsesXerialFramingWithJavaChunks) {
  std::string z = compress(Compression::kSnappy, repetitive(100000));
  ASSERT_GE(z.size(), 20u);
  EXPECT_EQ(z.substr(0, 16), kXerialHeader);
}

TEST(Lz4HeaderChecksum, StrictRejectsAWrongChecksumLegacyModeAcceptsIt) {
  // Kafka's magic v0 lz4 (KAFKA-3160) computed the header checksum over the magic too.
  std::string z = compress(Compression::kLz4, "legacy lz4 payload");
  size_t hc = 6;  // magic(4) FLG BD, no content size nor dict id in our frames
  z[hc] = char(z[hc] ^ 0x5A);
  EXPECT_THROW(decompress(Compression::kLz4, z, 100), DecodeError);
  EXPECT_EQ(decompress(Compression::kLz4, z, 100, Lz4Header::kIgnoreChecksum), "legacy lz4 payload");
  // The CLI frame too (content checksum present), still validated past the header.
  auto cli = unhex("04224d186440a70f0000006868656c6c6f200600506b61666b61000000005803a695");
  cli[6] = char(cli[6] ^ 1);
  EXPECT_EQ(decompress(Compression::kLz4, cli, 100, Lz4Header::kIgnoreChecksum),
            "hello hello hello kafka");
  cli[cli.size() - 1] ^= 1;  // content checksum
  EXPECT_THROW(decompress(Compression::kLz4, cli, 100, Lz4Header::kIgnoreChecksum), DecodeError);
}

TEST(CompressionIds, MatchKafka) {
  EXPECT_EQ(compression_from_id(0), Compression::kNone);
  EXPECT_EQ(compression_from_id(4), Compression::kZstd);
  EXPECT_FALSE(compression_from_id(5));
  EXPECT_FALSE(compression_from_id(7));
  EXPECT_FALSE(compression_from_id(-1));
  EXPECT_EQ(compression_name(Compression::kLz4), "lz4");
}

TEST(Decompress, EmptyInputIsNotAFrame) {
  for (Compression c : kRealCodecs) {
    if (c == Compression::kSnappy) continue;  // an empty raw snappy block is invalid too:
    EXPECT_THROW(decompress(c, "", 100), DecodeError) << compression_name(c);
  }
  EXPECT_THROW(decompress(Compression::kSnappy, "", 100), DecodeError);
  EXPECT_EQ(decompress(Compression::kNone, "", 0), "");
}

}  // namespace
}  // namespace sluice::kafka
