#include "kafka/protocol/schema.h"

#include <gtest/gtest.h>

#include "kafka/protocol/messages.h"
#include "kafka/protocol/request_header.h"

namespace sluice::kafka {
namespace {

template <class T>
std::string encode(T& m, int16_t v, bool flexible) {
  WireWriter w;
  encode_message(w, m, v, flexible);
  return w.finish_bytes();
}

template <class T>
T decode(const std::string& bytes, int16_t v, bool flexible) {
  WireReader r(bytes);
  T m = decode_message<T>(r, v, flexible);
  EXPECT_EQ(r.remaining(), 0u);
  return m;
}

TEST(Schema, ApiVersionsV0RequestIsEmptyAndV3IsCompact) {
  ApiVersionsRequest req{"librdkafka", "2.0.2"};
  EXPECT_EQ(encode(req, 0, false), "");
  // v3: compact strings (length + 1 as uvarint) then an empty tagged-field section.
  EXPECT_EQ(encode(req, 3, true), std::string("\x0blibrdkafka\x06" "2.0.2\x00", 18));
  auto back = decode<ApiVersionsRequest>(encode(req, 3, true), 3, true);
  EXPECT_EQ(back.client_software_name, "librdkafka");
  EXPECT_EQ(back.client_software_version, "2.0.2");
}

TEST(Schema, FieldsOutsideTheirVersionsAreNeitherWrittenNorRead) {
  ProduceRequest req;
  req.transactional_id = "tx";
  req.acks = 1;
  req.timeout_ms = 1500;
  req.topics.push_back({"t", {{3, Records{false, "abc", {}}}}});
  std::string v2 = encode(req, 2, false);
  std::string v3 = encode(req, 3, false);
  EXPECT_EQ(v3.size(), v2.size() + 2 + 2);  // int16 length + "tx"
  auto back = decode<ProduceRequest>(v2, 2, false);
  EXPECT_FALSE(back.transactional_id.has_value());
  auto back3 = decode<ProduceRequest>(v3, 3, false);
  EXPECT_EQ(back3.transactional_id, "tx");
  ASSERT_EQ(back3.topics.size(), 1u);
  EXPECT_EQ(back3.topics[0].partitions[0].index, 3);
  EXPECT_EQ(back3.topics[0].partitions[0].records.view, "abc");
}

TEST(Schema, MetadataNullTopicsMeansAllSinceV1) {
  MetadataRequest req;  // topics nullopt
  std::string v1 = encode(req, 1, false);
  EXPECT_EQ(v1, std::string("\xff\xff\xff\xff", 4));
  EXPECT_FALSE(decode<MetadataRequest>(v1, 1, false).topics.has_value());
}

TEST(Schema, FetchResponseSplicesFileRanges) {
  FetchResponse resp;
  resp.responses.push_back({"t", {}});
  FetchResponse::Partition p;
  p.records.pieces.push_back(FileRange{7, 100, 50, nullptr});
  resp.responses[0].partitions.push_back(p);
  WireWriter w;
  encode_message(w, resp, 11, false);
  size_t total = w.size();
  auto pieces = w.finish();
  ASSERT_EQ(pieces.size(), 1u + 1u);  // header bytes, file range (nothing after it)
  EXPECT_EQ(std::get<FileRange>(pieces[1]).length, 50u);
  EXPECT_EQ(std::get<std::string>(pieces[0]).size() + 50, total);
}

TEST(Schema, TruncatedInputThrowsDecodeError) {
  ProduceRequest req;
  req.topics.push_back({"topic", {{0, Records{false, "records", {}}}}});
  std::string bytes = encode(req, 7, false);
  for (size_t n = 0; n < bytes.size(); ++n) {
    WireReader r(bytes.data(), n);
    EXPECT_THROW(decode_message<ProduceRequest>(r, 7, false), DecodeError) << n;
  }
}

TEST(Schema, AbsurdArrayCountIsRejectedBeforeAllocating) {
  std::string bytes("\x7f\xff\xff\xff", 4);  // 2^31-1 elements, no bytes behind them
  WireReader r(bytes);
  EXPECT_THROW(decode_message<DeleteTopicsRequest>(r, 0, false), DecodeError);
}

TEST(Schema, RequestHeaderClientIdStaysNonCompactInFlexibleVersions) {
  WireWriter w;
  write_request_header(w, {18, 3, 42, "cli"}, /*flexible=*/true);
  std::string bytes = w.finish_bytes();
  EXPECT_EQ(bytes, std::string("\x00\x12\x00\x03\x00\x00\x00\x2a\x00\x03" "cli\x00", 14));
  WireReader r(bytes);
  auto h = read_request_header(r);
  EXPECT_EQ(h.api_key, 18);
  EXPECT_EQ(h.correlation_id, 42);
  EXPECT_EQ(h.client_id, "cli");
}

}  // namespace
}  // namespace sluice::kafka
