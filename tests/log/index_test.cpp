#include <gtest/gtest.h>

#include "log/offset_index.h"
#include "log/segment.h"
#include "log/time_index.h"
#include "log/topic_metadata.h"

namespace sluice::log {
namespace {

TEST(OffsetIndex, LooksUpTheLastEntryAtOrBeforeAnOffset) {
  OffsetIndex index;
  EXPECT_EQ(index.lookup(100), 0u);
  index.append(10, 4096);
  index.append(25, 8200);
  EXPECT_EQ(index.lookup(0), 0u);
  EXPECT_EQ(index.lookup(9), 0u);
  EXPECT_EQ(index.lookup(10), 4096u);
  EXPECT_EQ(index.lookup(24), 4096u);
  EXPECT_EQ(index.lookup(25), 8200u);
  EXPECT_EQ(index.lookup(1'000'000), 8200u);
}

TEST(OffsetIndex, SerializesAsKafkasBigEndianPairs) {
  OffsetIndex index;
  index.append(1, 0x0102);
  auto bytes = index.serialize();
  EXPECT_EQ(bytes, std::string("\0\0\0\1\0\0\1\2", 8));
  OffsetIndex parsed;
  ASSERT_TRUE(parsed.parse(bytes, 1000, 10));
  EXPECT_EQ(parsed.entries(), index.entries());
}

TEST(OffsetIndex, RejectsTornOrInconsistentFiles) {
  OffsetIndex index;
  index.append(5, 100);
  index.append(9, 300);
  auto good = index.serialize();
  OffsetIndex parsed;
  EXPECT_TRUE(parsed.parse(good, 301, 9));
  EXPECT_FALSE(parsed.parse(good.substr(0, 12), 301, 9));  // torn entry
  EXPECT_TRUE(parsed.entries().empty());
  EXPECT_FALSE(parsed.parse(good, 300, 9));  // position past the log's end
  EXPECT_FALSE(parsed.parse(good, 301, 8));  // offset past the segment's end
  OffsetIndex backwards;
  backwards.append(9, 300);
  backwards.append(5, 100);
  EXPECT_FALSE(parsed.parse(backwards.serialize(), 301, 9));
}

TEST(TimeIndex, KeepsOnlyIncreasingTimestampsAndFindsWhereToStart) {
  TimeIndex index;
  index.maybe_append(-1, 0);  // no timestamp: not indexed
  index.maybe_append(100, 2);
  index.maybe_append(90, 4);  // older than the max so far: skipped
  index.maybe_append(200, 6);
  ASSERT_EQ(index.entries().size(), 2u);
  EXPECT_EQ(index.last_timestamp(), 200);
  EXPECT_FALSE(index.lookup_before(100));
  EXPECT_EQ(index.lookup_before(101), 2);
  EXPECT_EQ(index.lookup_before(200), 2);
  EXPECT_EQ(index.lookup_before(201), 6);

  TimeIndex parsed;
  ASSERT_TRUE(parsed.parse(index.serialize(), 6));
  EXPECT_EQ(parsed.entries(), index.entries());
  EXPECT_FALSE(parsed.parse(index.serialize(), 5));
  EXPECT_FALSE(parsed.parse(index.serialize().substr(1), 6));
}

TEST(Segment, FileNamesAreTwentyDigitBaseOffsets) {
  EXPECT_EQ(Segment::file_stem(0), "00000000000000000000");
  EXPECT_EQ(Segment::file_stem(1234567), "00000000000001234567");
  EXPECT_EQ(Segment::parse_file_stem("00000000000001234567"), 1234567);
  EXPECT_FALSE(Segment::parse_file_stem("1234567"));
  EXPECT_FALSE(Segment::parse_file_stem("0000000000000123456x"));
}

TEST(TopicMetadata, RoundTripsAndRejectsDamage) {
  TopicMetadata m{3, {{"retention.ms", "1000"}, {"cleanup.policy", "compact,delete"}}};
  auto text = format_topic_metadata("t", m);
  auto parsed = parse_topic_metadata(text);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(*parsed, m);
  EXPECT_FALSE(parse_topic_metadata("config.retention.ms=5\n"));  // no partition count
  EXPECT_FALSE(parse_topic_metadata("partitions=0\n"));
  EXPECT_FALSE(parse_topic_metadata("partitions=2\nnonsense\n"));
  EXPECT_FALSE(parse_topic_metadata("partitions=2\ncolor=blue\n"));
}

}  // namespace
}  // namespace sluice::log
