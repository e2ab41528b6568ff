#include "log/partition_log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include "log_test_support.h"

namespace sluice::log {
namespace {

using testing::BatchSpec;
using testing::frame;
using testing::make_batch;
using testing::read_range;
using testing::TempDir;

std::unique_ptr<PartitionLog> open_log(const std::filesystem::path& dir, LogConfig config = {}) {
  auto opened = PartitionLog::open(dir, config);
  EXPECT_TRUE(opened.ok()) << opened.message();
  return std::move(opened.log);
}

AppendResult append(PartitionLog& log, BatchSpec spec = {}, int64_t now = 1000) {
  auto bytes = make_batch(spec);
  return log.append(bytes, now);
}

std::vector<uint8_t> read_all(const ReadResult& r) {
  std::vector<uint8_t> out;
  for (const auto& range : r.ranges) {
    auto bytes = read_range(range);
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  return out;
}

// Small segments (3 batches of 261 bytes each) and an index entry for every batch.
LogConfig small_segments() {
  LogConfig c;
  c.segment_bytes = 800;
  c.index_interval_bytes = 0;
  return c;
}

TEST(PartitionLog, NewLogIsEmptyWithOneSegmentFile) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0");
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->size_bytes(), 0u);
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "t-0" / "00000000000000000000.log"));
  auto read = log->read(0, 1000, 0);
  EXPECT_TRUE(read.ok());
  EXPECT_TRUE(read.ranges.empty());
}

TEST(PartitionLog, AssignsOffsetsAndReadsBatchesBack) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0");
  auto a = append(*log, {.records = 1});
  auto b = append(*log, {.records = 5});
  auto c = append(*log, {.records = 2});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.message() << b.message() << c.message();
  EXPECT_EQ(a.base_offset, 0);
  EXPECT_EQ(a.last_offset, 0);
  EXPECT_EQ(b.base_offset, 1);
  EXPECT_EQ(b.last_offset, 5);
  EXPECT_EQ(c.base_offset, 6);
  EXPECT_EQ(c.last_offset, 7);
  EXPECT_EQ(c.log_append_time_ms, 1000);
  EXPECT_EQ(log->log_end_offset(), 8);
  EXPECT_EQ(log->size_bytes(), 3u * 161);

  auto read = log->read(0, 1 << 20, log->log_end_offset());
  ASSERT_TRUE(read.ok()) << read.status.message;
  auto batches = frame(read_all(read));
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].base_offset, 0);
  EXPECT_EQ(batches[1].base_offset, 1);
  EXPECT_EQ(batches[1].last_offset, 5);
  EXPECT_EQ(batches[2].base_offset, 6);
  EXPECT_EQ(read.bytes, 3u * 161);
}

TEST(PartitionLog, PatchesOffsetsOfSeveralBatchesInOneAppendInPlace) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0");
  ASSERT_TRUE(append(*log, {.records = 3}).ok());
  auto bytes = testing::concat({make_batch({.records = 2}), make_batch({.records = 4})});
  auto r = log->append(bytes, 5);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.base_offset, 3);
  EXPECT_EQ(r.last_offset, 8);
  auto framed = frame(bytes);  // the caller's buffer now holds the assigned offsets
  ASSERT_EQ(framed.size(), 2u);
  EXPECT_EQ(framed[0].base_offset, 3);
  EXPECT_EQ(framed[1].base_offset, 5);
  EXPECT_EQ(framed[1].last_offset, 8);
  EXPECT_EQ(BatchHeaderView(bytes.data()).crc(),
            crc32c(bytes.data() + batch_layout::kAttributes, 161 - batch_layout::kAttributes));
}

TEST(PartitionLog, RollsSegmentsAndReadsAcrossThem) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0", small_segments());
  for (int i = 0; i < 20; ++i) {
    auto r = append(*log, {.records = 2, .payload_bytes = 200});
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r.base_offset, 2 * i);
  }
  EXPECT_EQ(log->segment_count(), 7u);  // 3 batches of 261 bytes fit in 800
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "t-0" / "00000000000000000006.log"));
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "t-0" / "00000000000000000006.index"));
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "t-0" / "00000000000000000006.timeindex"));

  // Every offset reads from the batch that holds it.
  for (int64_t o = 0; o < 40; ++o) {
    auto read = log->read(o, 1, 40);
    ASSERT_TRUE(read.ok()) << read.status.message;
    auto batches = frame(read_all(read));
    ASSERT_EQ(batches.size(), 1u) << o;
    EXPECT_EQ(batches[0].base_offset, o - o % 2);
  }
  // One big read spans every segment, one range per segment, offsets contiguous.
  auto all = log->read(0, 1 << 20, 40);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.ranges.size(), 7u);
  auto batches = frame(read_all(all));
  ASSERT_EQ(batches.size(), 20u);
  for (size_t i = 0; i < batches.size(); ++i) EXPECT_EQ(batches[i].base_offset, int64_t(2 * i));
}

TEST(PartitionLog, ReopenContinuesOffsetsAndKeepsData) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  {
    auto log = open_log(dir, small_segments());
    for (int i = 0; i < 10; ++i)
      ASSERT_TRUE(append(*log, {.records = 3, .payload_bytes = 200}).ok());
    EXPECT_TRUE(log->close().ok());
  }
  auto log = open_log(dir, small_segments());
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 30);
  EXPECT_EQ(log->size_bytes(), 10u * 261);
  auto r = append(*log, {.records = 1, .payload_bytes = 200});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.base_offset, 30);
  auto all = log->read(0, 1 << 20, 31);
  auto batches = frame(read_all(all));
  ASSERT_EQ(batches.size(), 11u);
  EXPECT_EQ(batches.back().base_offset, 30);
  EXPECT_EQ(batches[4].base_offset, 12);
}

TEST(PartitionLog, ReadHonoursMaxBytesButReturnsAtLeastOneWholeBatch) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(append(*log, {.payload_bytes = 939}).ok());  // 1000 B

  auto one = log->read(0, 10, 5);  // smaller than a batch: still one whole batch (KIP-74)
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.bytes, 1000u);
  EXPECT_EQ(frame(read_all(one)).size(), 1u);

  auto two = log->read(1, 2500, 5);
  ASSERT_TRUE(two.ok());
  auto batches = frame(read_all(two));
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].base_offset, 1);
  EXPECT_EQ(batches[1].base_offset, 2);

  auto exact = log->read(0, 3000, 5);
  EXPECT_EQ(exact.bytes, 3000u);
}

TEST(PartitionLog, ReadStopsBeforeTheUpperBound) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0");
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(append(*log).ok());
  auto read = log->read(1, 1 << 20, 4);
  ASSERT_TRUE(read.ok());
  auto batches = frame(read_all(read));
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches.front().base_offset, 1);
  EXPECT_EQ(batches.back().base_offset, 3);

  auto at_bound = log->read(4, 1 << 20, 4);  // nothing below the bound: empty, not an error
  EXPECT_TRUE(at_bound.ok());
  EXPECT_TRUE(at_bound.ranges.empty());

  // A batch that straddles the bound is not served.
  ASSERT_TRUE(append(*log, {.records = 10}).ok());  // offsets 6..15
  auto straddle = log->read(6, 1 << 20, 10);
  EXPECT_TRUE(straddle.ok());
  EXPECT_TRUE(straddle.ranges.empty());
}

TEST(PartitionLog, ReadFromTheMiddleOfABatchStartsAtThatBatch) {
  TempDir tmp;
  LogConfig c;
  c.index_interval_bytes = 0;
  auto log = open_log(tmp.path() / "t-0", c);
  ASSERT_TRUE(append(*log, {.records = 10}).ok());  // 0..9
  ASSERT_TRUE(append(*log, {.records = 10}).ok());  // 10..19
  ASSERT_TRUE(append(*log, {.records = 10}).ok());  // 20..29
  auto read = log->read(15, 1 << 20, 30);
  ASSERT_TRUE(read.ok());
  auto batches = frame(read_all(read));
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].base_offset, 10);
  EXPECT_EQ(batches[1].base_offset, 20);
}

TEST(PartitionLog, ReadOutsideTheLogIsOffsetOutOfRange) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0");
  ASSERT_TRUE(append(*log, {.records = 3}).ok());
  EXPECT_EQ(log->read(4, 100, 3).status.code, Errc::kOffsetOutOfRange);
  EXPECT_EQ(log->read(-1, 100, 3).status.code, Errc::kOffsetOutOfRange);
  auto at_end = log->read(3, 100, 3);
  EXPECT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end.ranges.empty());
}

TEST(PartitionLog, OffsetForTimestampFindsTheFirstBatchReachingIt) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  LogConfig c = small_segments();
  {
    auto log = open_log(dir, c);
    // max timestamps per batch (2 records each): 100, 200, 150, 300, 250, 400, 50, 500
    for (int64_t ts : {100, 200, 150, 300, 250, 400, 50, 500})
      ASSERT_TRUE(append(*log, {.records = 2, .max_timestamp = ts, .payload_bytes = 200}).ok());
    EXPECT_GT(log->segment_count(), 2u);
    auto check = [&](PartitionLog& l) {
      EXPECT_EQ(l.offset_for_timestamp(0).offset, 0);
      EXPECT_EQ(l.offset_for_timestamp(100).offset, 0);
      EXPECT_EQ(l.offset_for_timestamp(101).offset, 2);
      EXPECT_EQ(l.offset_for_timestamp(101).timestamp, 200);
      EXPECT_EQ(l.offset_for_timestamp(201).offset, 6);
      EXPECT_EQ(l.offset_for_timestamp(260).offset, 6);
      EXPECT_EQ(l.offset_for_timestamp(301).offset, 10);
      EXPECT_EQ(l.offset_for_timestamp(401).offset, 14);
      EXPECT_EQ(l.offset_for_timestamp(500).timestamp, 500);
      EXPECT_EQ(l.offset_for_timestamp(501).offset, -1);
      EXPECT_EQ(l.offset_for_timestamp(501).timestamp, -1);
    };
    check(*log);
    log->close();
    auto reopened = open_log(dir, c);  // time indexes of sealed segments come from disk
    check(*reopened);
  }
}

TEST(PartitionLog, OffsetForTimestampIsExactToTheRecordInUncompressedBatches) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0");
  ASSERT_TRUE(append(*log, {.records = 3, .max_timestamp = 900}).ok());  // 0..2
  auto bytes = testing::make_batch_with_records(1000, {0, 10, 5, 40});   // 3..6
  ASSERT_TRUE(log->append(bytes, 1).ok());
  auto found = log->offset_for_timestamp(1006);
  EXPECT_EQ(found.offset, 4);
  EXPECT_EQ(found.timestamp, 1010);
  EXPECT_TRUE(found.status.ok());
  EXPECT_EQ(log->offset_for_timestamp(1011).offset, 6);
  EXPECT_EQ(log->offset_for_timestamp(901).offset, 3);
  EXPECT_EQ(log->offset_for_timestamp(800).offset, 0);  // fake records: the batch's base
  EXPECT_EQ(log->offset_for_timestamp(1041).offset, -1);
}

TEST(PartitionLog, RejectsMalformedOrOversizedBatchesWithoutWriting) {
  TempDir tmp;
  LogConfig c;
  c.max_message_bytes = 500;
  auto log = open_log(tmp.path() / "t-0", c);
  ASSERT_TRUE(append(*log).ok());

  auto truncated = make_batch();
  truncated.resize(100);
  EXPECT_EQ(log->append(truncated, 1).status.code, Errc::kCorruptBatch);

  auto bad_magic = make_batch();
  bad_magic[batch_layout::kMagic] = 1;
  EXPECT_EQ(log->append(bad_magic, 1).status.code, Errc::kCorruptBatch);

  // A good batch followed by garbage: nothing of it is appended.
  auto mixed = testing::concat({make_batch(), std::vector<uint8_t>(70, 0xFF)});
  EXPECT_EQ(log->append(mixed, 1).status.code, Errc::kCorruptBatch);

  std::vector<uint8_t> none;
  EXPECT_EQ(log->append(none, 1).status.code, Errc::kCorruptBatch);

  auto big = make_batch({.payload_bytes = 600});
  auto r = log->append(big, 1);
  EXPECT_EQ(r.status.code, Errc::kMessageTooLarge);
  EXPECT_NE(r.message().find("max.message.bytes"), std::string::npos);

  EXPECT_EQ(log->log_end_offset(), 1);
  EXPECT_EQ(log->size_bytes(), 161u);
}

TEST(PartitionLog, RollsWhenTheActiveSegmentIsOlderThanSegmentMs) {
  TempDir tmp;
  LogConfig c;
  c.segment_ms = 1000;
  auto log = open_log(tmp.path() / "t-0", c);
  ASSERT_TRUE(append(*log, {}, 10'000).ok());
  ASSERT_TRUE(append(*log, {}, 10'500).ok());
  EXPECT_EQ(log->segment_count(), 1u);
  ASSERT_TRUE(append(*log, {}, 11'000).ok());
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "t-0" / "00000000000000000002.log"));
}

TEST(PartitionLog, ABatchLargerThanASegmentGetsASegmentOfItsOwn) {
  TempDir tmp;
  LogConfig c;
  c.segment_bytes = 100;
  auto log = open_log(tmp.path() / "t-0", c);
  ASSERT_TRUE(append(*log, {.payload_bytes = 300}).ok());
  ASSERT_TRUE(append(*log, {.payload_bytes = 300}).ok());
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(log->log_end_offset(), 2);
}

TEST(PartitionLog, IntervalFlushPolicyFlushesWhenDue) {
  TempDir tmp;
  LogConfig c;
  c.flush = *FlushPolicy::parse("50ms");
  auto log = open_log(tmp.path() / "t-0", c);
  EXPECT_FALSE(log->flush_pending());
  ASSERT_TRUE(append(*log, {}, 1000).ok());
  EXPECT_TRUE(log->flush_pending());
  ASSERT_TRUE(append(*log, {}, 1030).ok());
  EXPECT_TRUE(log->flush_if_due(1049).ok());
  EXPECT_TRUE(log->flush_pending());  // the oldest unflushed append is 49 ms old
  EXPECT_TRUE(log->flush_if_due(1050).ok());
  EXPECT_FALSE(log->flush_pending());

  ASSERT_TRUE(append(*log, {}, 2000).ok());
  EXPECT_TRUE(log->flush().ok());
  EXPECT_FALSE(log->flush_pending());

  ASSERT_TRUE(append(*log, {}, 3000).ok());
  LogConfig every = c;
  every.flush = FlushPolicy{};
  EXPECT_TRUE(log->set_config(every).ok());  // switching to every-batch flushes now
  EXPECT_FALSE(log->flush_pending());
  ASSERT_TRUE(append(*log, {}, 3001).ok());
  EXPECT_FALSE(log->flush_pending());
  EXPECT_EQ(log->config().flush.kind, FlushPolicy::kEveryBatch);
}

// A write that fails half way (here: the file size limit, as a full disk would) returns an
// error, leaves no partial batch behind and does not consume offsets.
TEST(PartitionLog, AFailedWriteIsRolledBack) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  auto log = open_log(dir);
  ASSERT_TRUE(append(*log, {.records = 2}).ok());

  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit limit = old_limit;
  limit.rlim_cur = 161 + 100;  // room for part of the next batch only
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  auto failed = append(*log, {.records = 4});
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(failed.status.code, Errc::kStorageError);
  EXPECT_NE(failed.message().find("00000000000000000000.log"), std::string::npos)
      << failed.message();
  EXPECT_EQ(log->log_end_offset(), 2);
  EXPECT_EQ(std::filesystem::file_size(dir / "00000000000000000000.log"), 161u);

  auto next = append(*log, {.records = 1});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.base_offset, 2);
  log.reset();
  auto reopened = open_log(dir);
  EXPECT_EQ(reopened->log_end_offset(), 3);
}

TEST(PartitionLog, ClosedLogRefusesWork) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "t-0");
  ASSERT_TRUE(append(*log).ok());
  ASSERT_TRUE(log->close().ok());
  EXPECT_EQ(append(*log).status.code, Errc::kStorageError);
  EXPECT_EQ(log->read(0, 100, 1).status.code, Errc::kStorageError);
}

TEST(PartitionLog, DeleteLogRemovesTheDirectoryButNotHandedOutRanges) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  auto log = open_log(dir);
  ASSERT_TRUE(append(*log, {.fill = 0x42}).ok());
  auto read = log->read(0, 1000, 1);
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(log->delete_log().ok());
  EXPECT_FALSE(std::filesystem::exists(dir));
  auto bytes = read_range(read.ranges.at(0));
  EXPECT_EQ(bytes.back(), 0x42);
}

}  // namespace
}  // namespace sluice::log
