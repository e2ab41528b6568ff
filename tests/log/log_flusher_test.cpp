#include "log/log_flusher.h"

#include <gtest/gtest.h>

#include "log/partition_log.h"
#include "log_test_support.h"

namespace sluice::log {
namespace {

using testing::BatchSpec;
using testing::make_batch;
using testing::TempDir;

std::shared_ptr<FileHandle> file_in(const TempDir& tmp, const std::string& name) {
  Status status;
  auto f = open_file(tmp.path() / name, true, status);
  EXPECT_TRUE(status.ok()) << status.message;
  EXPECT_TRUE(pwrite_all(*f, "abc", 3, 0).ok());
  return f;
}

TEST(LogFlusher, SyncsEveryQueuedFileAndDrainWaitsForThem) {
  TempDir tmp;
  LogFlusher flusher;
  flusher.sync(file_in(tmp, "a"));
  flusher.sync(file_in(tmp, "b"));
  flusher.sync(nullptr);  // nothing to do
  flusher.drain();
  EXPECT_EQ(flusher.synced(), 2u);
}

TEST(LogFlusher, AFileQueuedTwiceIsSyncedAtMostTwiceAndAtLeastOnce) {
  TempDir tmp;
  LogFlusher flusher;
  auto f = file_in(tmp, "a");
  flusher.sync(f);
  flusher.sync(f);  // deduplicated when the first is still queued
  flusher.drain();
  EXPECT_GE(flusher.synced(), 1u);
  EXPECT_LE(flusher.synced(), 2u);
}

TEST(LogFlusher, KeepsAFileOpenUntilItsSyncIsDone) {
  TempDir tmp;
  LogFlusher flusher;
  std::weak_ptr<FileHandle> weak;
  {
    auto f = file_in(tmp, "a");
    weak = f;
    flusher.sync(std::move(f));
  }
  flusher.drain();
  EXPECT_TRUE(weak.expired());  // released once synced
  EXPECT_EQ(flusher.synced(), 1u);
}

TEST(LogFlusher, TheDestructorSyncsWhatIsQueued) {
  TempDir tmp;
  std::weak_ptr<FileHandle> weak;
  {
    LogFlusher flusher;
    auto f = file_in(tmp, "a");
    weak = f;
    flusher.sync(std::move(f));
  }
  EXPECT_TRUE(weak.expired());
}

TEST(PartitionLog, TakeDueFlushHandsOverTheActiveSegmentOnlyWhenDue) {
  TempDir tmp;
  LogConfig c;
  c.flush = *FlushPolicy::parse("50ms");
  auto opened = PartitionLog::open(tmp.path() / "t-0", c);
  ASSERT_TRUE(opened.ok()) << opened.message();
  auto& log = *opened.log;
  EXPECT_EQ(log.take_due_flush(5000), nullptr);  // nothing appended
  auto bytes = make_batch(BatchSpec{});
  ASSERT_TRUE(log.append(bytes, 1000).ok());
  EXPECT_EQ(log.take_due_flush(1049), nullptr);  // 49 ms old: not due
  EXPECT_TRUE(log.flush_pending());
  auto file = log.take_due_flush(1050);
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(log.flush_pending());             // counted as flushed: the caller fsyncs it
  EXPECT_EQ(log.take_due_flush(9000), nullptr);  // nothing new since
  LogFlusher flusher;
  flusher.sync(std::move(file));
  flusher.drain();
  EXPECT_EQ(flusher.synced(), 1u);
}

}  // namespace
}  // namespace sluice::log
