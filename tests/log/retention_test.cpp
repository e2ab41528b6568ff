#include <gtest/gtest.h>

#include "log/partition_log.h"
#include "log_test_support.h"

namespace sluice::log {
namespace {

using testing::BatchSpec;
using testing::make_batch;
using testing::TempDir;

std::unique_ptr<PartitionLog> open_log(const std::filesystem::path& dir, LogConfig config) {
  auto opened = PartitionLog::open(dir, config);
  EXPECT_TRUE(opened.ok()) << opened.message();
  return std::move(opened.log);
}

AppendResult append_one(PartitionLog& log, BatchSpec spec = {}, int64_t now = 1000) {
  auto bytes = make_batch(spec);
  return log.append(bytes, now);
}

// Segments of two 161-byte single-record batches; no time or size limit unless set.
LogConfig two_per_segment() {
  LogConfig c;
  c.segment_bytes = 400;
  c.retention_ms = -1;
  c.retention_bytes = -1;
  return c;
}

TEST(Retention, BySizeDeletesTheOldestSegmentsAndAdvancesTheStart) {
  TempDir tmp;
  LogConfig c = two_per_segment();
  auto log = open_log(tmp.path() / "t-0", c);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(append_one(*log).ok());  // 5 segments
  ASSERT_EQ(log->segment_count(), 5u);
  auto early = log->read(0, 1000, 10);  // handed out before the delete
  ASSERT_TRUE(early.ok());

  c.retention_bytes = 3 * 322;  // keep at least three segments' worth
  ASSERT_TRUE(log->set_config(c).ok());
  auto result = log->apply_retention(1'000'000);
  ASSERT_TRUE(result.status.ok()) << result.status.message;
  EXPECT_EQ(result.segments_deleted, 2);
  EXPECT_EQ(result.bytes_deleted, 2u * 322);
  EXPECT_EQ(log->segment_count(), 3u);
  EXPECT_EQ(log->log_start_offset(), 4);
  EXPECT_EQ(log->log_end_offset(), 10);
  EXPECT_EQ(log->size_bytes(), 6u * 161);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "t-0" / "00000000000000000000.log"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "t-0" / "00000000000000000002.index"));
  EXPECT_EQ(log->read(3, 1000, 10).status.code, Errc::kOffsetOutOfRange);
  EXPECT_TRUE(log->read(4, 1000, 10).ok());

  // The range handed out earlier still reads the deleted file's bytes.
  auto bytes = testing::read_range(early.ranges.at(0));
  EXPECT_EQ(testing::frame(bytes).at(0).base_offset, 0);

  // Nothing more to delete: the log holds 966 >= 966 bytes.
  EXPECT_EQ(log->apply_retention(1'000'000).segments_deleted, 0);
  // The active segment is never deleted by size.
  c.retention_bytes = 0;
  ASSERT_TRUE(log->set_config(c).ok());
  EXPECT_EQ(log->apply_retention(1'000'000).segments_deleted, 2);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 8);

  // The start offset survives a restart.
  log.reset();
  auto reopened = open_log(tmp.path() / "t-0", c);
  EXPECT_EQ(reopened->log_start_offset(), 8);
  EXPECT_EQ(reopened->log_end_offset(), 10);
}

TEST(Retention, ByTimeDeletesSegmentsWhoseNewestBatchIsTooOld) {
  TempDir tmp;
  LogConfig c = two_per_segment();
  auto log = open_log(tmp.path() / "t-0", c);
  // Segment timestamps: [100, 200], [300, 400], [500, 600]
  for (int64_t ts : {100, 200, 300, 400, 500, 600})
    ASSERT_TRUE(append_one(*log, {.max_timestamp = ts}).ok());
  ASSERT_TRUE(append_one(*log, {.max_timestamp = 10'000}).ok());  // active: [10000]
  ASSERT_EQ(log->segment_count(), 4u);

  c.retention_ms = 1000;
  ASSERT_TRUE(log->set_config(c).ok());
  EXPECT_EQ(log->apply_retention(1200).segments_deleted, 0);  // newest 200: 1000 ms old
  EXPECT_EQ(log->apply_retention(1201).segments_deleted, 1);
  EXPECT_EQ(log->log_start_offset(), 2);
  EXPECT_EQ(log->apply_retention(1601).segments_deleted, 2);
  EXPECT_EQ(log->log_start_offset(), 6);
  EXPECT_EQ(log->segment_count(), 1u);

  // An expired active segment is rolled and deleted; the log stays appendable.
  auto result = log->apply_retention(20'000);
  EXPECT_EQ(result.segments_deleted, 1);
  EXPECT_EQ(log->log_start_offset(), 7);
  EXPECT_EQ(log->log_end_offset(), 7);
  EXPECT_EQ(log->size_bytes(), 0u);
  auto next = append_one(*log, {.max_timestamp = 20'000}, 20'000);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.base_offset, 7);
}

TEST(Retention, UnlimitedOrCompactOnlyLogsKeepEverything) {
  TempDir tmp;
  LogConfig c = two_per_segment();
  auto log = open_log(tmp.path() / "t-0", c);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(append_one(*log, {.max_timestamp = 1}).ok());
  EXPECT_EQ(log->apply_retention(1LL << 40).segments_deleted, 0);

  c.retention_ms = 10;
  c.retention_bytes = 0;
  c.cleanup_policy = "compact";
  ASSERT_TRUE(log->set_config(c).ok());
  EXPECT_EQ(log->apply_retention(1LL << 40).segments_deleted, 0);
  EXPECT_EQ(log->log_start_offset(), 0);

  c.cleanup_policy = "compact,delete";
  ASSERT_TRUE(log->set_config(c).ok());
  EXPECT_EQ(log->apply_retention(1LL << 40).segments_deleted, 3);
}

}  // namespace
}  // namespace sluice::log
