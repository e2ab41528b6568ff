#include "log/log_flusher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>

#include "log/partition_log.h"
#include "held_sync.h"
#include "log_test_support.h"

namespace sluice::log {
namespace {

using testing::BatchSpec;
using testing::HeldSync;
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

TEST(LogFlusher, CompletionsRunAfterTheFsyncWithItsStatus) {
  TempDir tmp;
  LogFlusher flusher;
  std::promise<Status> done;
  flusher.sync(file_in(tmp, "a"), [&](const Status& s) { done.set_value(s); });
  EXPECT_TRUE(done.get_future().get().ok());
  bool at_once = false;
  flusher.sync(nullptr, [&](const Status& s) { at_once = s.ok(); });  // nothing to sync
  EXPECT_TRUE(at_once);
}

TEST(LogFlusher, SyncsOfAFileQueuedDuringAnFsyncShareTheNextOne) {
  TempDir tmp;
  HeldSync held;
  LogFlusher flusher(held.function());
  auto a = file_in(tmp, "a");
  std::atomic<int> ok{0};
  auto count = [&](const Status& s) { ok += s.ok(); };
  flusher.sync(a, count);
  held.wait_started(1);  // the first fsync runs (held); these three wait for the next
  flusher.sync(a, count);
  flusher.sync(a, count);
  flusher.sync(a, count);
  EXPECT_EQ(flusher.waiting_completions(), 3u);
  held.open();
  flusher.drain();
  EXPECT_EQ(held.started(), 2);  // group commit: two fsyncs for four syncs
  EXPECT_EQ(ok, 4);
}

TEST(LogFlusher, AFailedFsyncIsReportedToEveryCompletionWaitingOnIt) {
  TempDir tmp;
  HeldSync held;
  LogFlusher flusher(held.function());
  std::atomic<int> failed{0};
  auto a = file_in(tmp, "a");
  for (int i = 0; i < 2; ++i)
    flusher.sync(a, [&](const Status& s) { failed += s.code == Errc::kStorageError; });
  held.open(/*fail=*/true);
  flusher.drain();
  EXPECT_EQ(failed, 2);
}

std::unique_ptr<PartitionLog> every_batch_log(const std::filesystem::path& dir) {
  auto opened = PartitionLog::open(dir, LogConfig{});  // kEveryBatch by default
  EXPECT_TRUE(opened.ok()) << opened.message();
  return std::move(opened.log);
}

TEST(PartitionLog, DeferredAppendsStayAboveTheHighWatermarkUntilTheirSyncCompletes) {
  TempDir tmp;
  auto log = every_batch_log(tmp.path() / "t-0");
  EXPECT_EQ(log->take_sync().file, nullptr);  // nothing waits
  auto a = make_batch(BatchSpec{.records = 2}), b = make_batch(BatchSpec{.records = 3});
  ASSERT_TRUE(log->append_deferred(a, 1000).ok());
  auto first = log->take_sync();
  ASSERT_TRUE(log->append_deferred(b, 1000).ok());
  EXPECT_EQ(log->log_end_offset(), 5);
  EXPECT_EQ(log->high_watermark(), 0);
  EXPECT_EQ(log->last_stable_offset(), 0);
  EXPECT_TRUE(log->read(0, 1 << 20, INT64_MAX).ranges.empty());  // not durable: not readable
  EXPECT_EQ(log->offset_for_timestamp(0).offset, -1);

  ASSERT_NE(first.file, nullptr);
  EXPECT_EQ(first.end_offset, 2);
  ASSERT_TRUE(sync_file(*first.file).ok());
  log->complete_sync(first.end_offset, Status::success());
  EXPECT_EQ(log->high_watermark(), 2);
  auto read = log->read(0, 1 << 20, INT64_MAX);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.bytes, a.size());  // the first batch only

  auto second = log->take_sync();
  EXPECT_EQ(second.end_offset, 5);
  log->complete_sync(second.end_offset, Status::success());
  EXPECT_EQ(log->high_watermark(), 5);
  EXPECT_EQ(log->take_sync().file, nullptr);
  log->complete_sync(2, Status::success());  // a late, older completion changes nothing
  EXPECT_EQ(log->high_watermark(), 5);
}

TEST(PartitionLog, ASynchronousAppendOrFlushMakesEarlierDeferredAppendsVisible) {
  TempDir tmp;
  auto log = every_batch_log(tmp.path() / "t-0");
  auto a = make_batch(), b = make_batch();
  ASSERT_TRUE(log->append_deferred(a, 1000).ok());
  ASSERT_TRUE(log->append(b, 1000).ok());  // fsynced before it returns: covers `a` too
  EXPECT_EQ(log->high_watermark(), 2);
  auto c = make_batch();
  ASSERT_TRUE(log->append_deferred(c, 1000).ok());
  EXPECT_EQ(log->high_watermark(), 2);
  ASSERT_TRUE(log->flush().ok());
  EXPECT_EQ(log->high_watermark(), 3);
}

TEST(PartitionLog, AFailedSyncFailsTheLogButKeepsWhatWasDurableReadable) {
  TempDir tmp;
  auto log = every_batch_log(tmp.path() / "t-0");
  auto a = make_batch(), b = make_batch(), c = make_batch();
  ASSERT_TRUE(log->append(a, 1000).ok());
  ASSERT_TRUE(log->append_deferred(b, 1000).ok());
  auto pending = log->take_sync();
  log->complete_sync(pending.end_offset, Status::error(Errc::kStorageError, "EIO"));
  EXPECT_EQ(log->failure().code, Errc::kStorageError);
  EXPECT_EQ(log->high_watermark(), 1);
  auto refused = log->append_deferred(c, 1000);
  EXPECT_EQ(refused.status.code, Errc::kStorageError);
  EXPECT_NE(refused.message().find("EIO"), std::string::npos) << refused.message();
  EXPECT_EQ(log->read(0, 1 << 20, INT64_MAX).bytes, a.size());
  log->complete_sync(pending.end_offset, Status::success());  // proves nothing after a failure
  EXPECT_EQ(log->high_watermark(), 1);
}

TEST(PartitionLog, UnderAnIntervalPolicyADeferredAppendIsVisibleAtOnce) {
  TempDir tmp;
  LogConfig c;
  c.flush = *FlushPolicy::parse("50ms");
  auto opened = PartitionLog::open(tmp.path() / "t-0", c);
  ASSERT_TRUE(opened.ok()) << opened.message();
  auto a = make_batch();
  ASSERT_TRUE(opened.log->append_deferred(a, 1000).ok());
  EXPECT_EQ(opened.log->high_watermark(), 1);
  EXPECT_EQ(opened.log->take_sync().file, nullptr);
}

}  // namespace
}  // namespace sluice::log
