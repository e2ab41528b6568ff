// Idempotent producers in the log: ProducerState's rules (Kafka's ProducerStateManager),
// and PartitionLog deduplicating retries and keeping the state across reopen, crash
// (no snapshot), torn tails, stale or corrupt snapshots and retention.
#include "log/producer_state.h"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>

#include "log/partition_log.h"
#include "log_test_support.h"

namespace sluice::log {
namespace {

using testing::BatchSpec;
using testing::make_batch;
using testing::TempDir;

constexpr int32_t kMaxSeq = std::numeric_limits<int32_t>::max();

ProducerBatch batch(int64_t pid, int16_t epoch, int32_t first_seq, int32_t records,
                    int64_t first_offset = 0) {
  return {.producer_id = pid,
          .producer_epoch = epoch,
          .first_sequence = first_seq,
          .last_sequence = increment_sequence(first_seq, records - 1),
          .first_offset = first_offset,
          .last_offset = first_offset + records - 1,
          .max_timestamp = 1000};
}

ProducerCheck::Kind verdict(const ProducerState& s, const ProducerBatch& b) {
  return s.check({&b, 1}).kind;
}

Errc rejection(const ProducerState& s, const ProducerBatch& b) {
  auto v = s.check({&b, 1});
  EXPECT_EQ(v.kind, ProducerCheck::kRejected);
  EXPECT_FALSE(v.status.message.empty());
  return v.status.code;
}

TEST(ProducerStateTest, SequenceArithmeticWrapsAtInt32Max) {
  EXPECT_EQ(increment_sequence(0, 4), 4);
  EXPECT_EQ(increment_sequence(kMaxSeq, 0), kMaxSeq);
  EXPECT_EQ(increment_sequence(kMaxSeq, 1), 0);
  EXPECT_EQ(increment_sequence(kMaxSeq - 1, 3), 1);
}

TEST(ProducerStateTest, UnknownProducerStartsAtAnySequence) {
  // Kafka >= 2.5: the producer's earlier batches may have gone with retention.
  ProducerState s;
  EXPECT_EQ(verdict(s, batch(1, 0, 0, 5)), ProducerCheck::kAppend);
  EXPECT_EQ(verdict(s, batch(1, 0, 42, 5)), ProducerCheck::kAppend);
  EXPECT_EQ(verdict(s, batch(1, 3, 42, 5)), ProducerCheck::kAppend);
}

TEST(ProducerStateTest, NonIdempotentBatchesAreNotTracked) {
  ProducerState s;
  ProducerBatch plain = batch(-1, -1, -1, 3);
  EXPECT_EQ(verdict(s, plain), ProducerCheck::kAppend);
  s.apply(plain, 0);
  EXPECT_TRUE(s.empty());
}

TEST(ProducerStateTest, NextBatchMustFollowTheLastSequence) {
  ProducerState s;
  s.apply(batch(1, 0, 0, 5, 0), 0);  // sequences 0..4
  EXPECT_EQ(verdict(s, batch(1, 0, 5, 3)), ProducerCheck::kAppend);
  EXPECT_EQ(rejection(s, batch(1, 0, 6, 3)), Errc::kOutOfOrderSequence);  // gap
  EXPECT_EQ(rejection(s, batch(1, 0, 4, 3)), Errc::kOutOfOrderSequence);  // overlap
  EXPECT_EQ(rejection(s, batch(1, 0, 0, 3)), Errc::kOutOfOrderSequence);  // same start, other end
  // Another producer id is independent.
  EXPECT_EQ(verdict(s, batch(2, 0, 0, 1)), ProducerCheck::kAppend);
}

TEST(ProducerStateTest, RetryOfAnyOfTheLastFiveBatchesIsADuplicateWithItsOffsets) {
  ProducerState s;
  int32_t seq = 0;
  for (int i = 0; i < 6; ++i) {
    s.apply(batch(9, 2, seq, 10, 100 * i), 0);
    seq += 10;
  }
  const ProducerEntry* e = s.find(9);
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->batches.size(), ProducerState::kRetainedBatches);
  for (int i = 1; i < 6; ++i) {
    auto b = batch(9, 2, 10 * i, 10);
    auto v = s.check({&b, 1});
    ASSERT_EQ(v.kind, ProducerCheck::kDuplicate) << "batch " << i;
    EXPECT_EQ(v.original.first_offset, 100 * i);
    EXPECT_EQ(v.original.last_offset, 100 * i + 9);
  }
  // The oldest batch is no longer remembered: out of order, as in Kafka.
  EXPECT_EQ(rejection(s, batch(9, 2, 0, 10)), Errc::kOutOfOrderSequence);
}

TEST(ProducerStateTest, OlderEpochIsFencedEvenForARetry) {
  ProducerState s;
  s.apply(batch(1, 3, 0, 2), 0);
  EXPECT_EQ(rejection(s, batch(1, 2, 2, 2)), Errc::kInvalidProducerEpoch);
  EXPECT_EQ(rejection(s, batch(1, 2, 0, 2)), Errc::kInvalidProducerEpoch);
}

TEST(ProducerStateTest, NewerEpochStartsAtSequenceZeroAndForgetsTheOldBatches) {
  ProducerState s;
  s.apply(batch(1, 0, 0, 5, 0), 0);
  EXPECT_EQ(rejection(s, batch(1, 1, 5, 1)), Errc::kOutOfOrderSequence);
  EXPECT_EQ(verdict(s, batch(1, 1, 0, 1)), ProducerCheck::kAppend);
  s.apply(batch(1, 1, 0, 1, 5), 0);
  EXPECT_EQ(s.find(1)->epoch, 1);
  ASSERT_EQ(s.find(1)->batches.size(), 1u);
  // A retry of the old epoch's batch is now fenced, not a duplicate.
  EXPECT_EQ(rejection(s, batch(1, 0, 0, 5)), Errc::kInvalidProducerEpoch);
}

TEST(ProducerStateTest, SequencesWrapAfterInt32Max) {
  ProducerState s;
  s.apply(batch(1, 0, kMaxSeq - 2, 3, 0), 0);  // ends at INT32_MAX
  EXPECT_EQ(s.find(1)->batches.back().last_sequence, kMaxSeq);
  EXPECT_EQ(verdict(s, batch(1, 0, 0, 4)), ProducerCheck::kAppend);
  EXPECT_EQ(rejection(s, batch(1, 0, 1, 4)), Errc::kOutOfOrderSequence);

  // A batch that crosses the wrap: sequences INT32_MAX-1, INT32_MAX, 0, 1.
  ProducerState t;
  t.apply(batch(1, 0, kMaxSeq - 5, 4, 0), 0);  // ends at INT32_MAX-2
  auto crossing = batch(1, 0, kMaxSeq - 1, 4, 4);
  EXPECT_EQ(crossing.last_sequence, 1);
  EXPECT_EQ(verdict(t, crossing), ProducerCheck::kAppend);
  t.apply(crossing, 0);
  EXPECT_EQ(verdict(t, batch(1, 0, 2, 1)), ProducerCheck::kAppend);
  EXPECT_EQ(verdict(t, batch(1, 0, kMaxSeq - 1, 4)), ProducerCheck::kDuplicate);
}

TEST(ProducerStateTest, SeveralBatchesInOneAppendAreCheckedInOrder) {
  ProducerState s;
  s.apply(batch(1, 0, 0, 2), 0);
  std::vector<ProducerBatch> ok = {batch(1, 0, 2, 2), batch(1, 0, 4, 2), batch(2, 0, 7, 1)};
  EXPECT_EQ(s.check(ok).kind, ProducerCheck::kAppend);
  std::vector<ProducerBatch> gap = {batch(1, 0, 2, 2), batch(1, 0, 5, 2)};
  auto v = s.check(gap);
  EXPECT_EQ(v.kind, ProducerCheck::kRejected);
  EXPECT_EQ(v.status.code, Errc::kOutOfOrderSequence);
  std::vector<ProducerBatch> dup = {batch(1, 0, 0, 2), batch(1, 0, 2, 2)};
  v = s.check(dup);
  EXPECT_EQ(v.kind, ProducerCheck::kRejected);
  EXPECT_EQ(v.status.code, Errc::kDuplicateSequence);
  std::vector<ProducerBatch> same_twice = {batch(1, 0, 2, 2), batch(1, 0, 2, 2)};
  EXPECT_EQ(s.check(same_twice).status.code, Errc::kDuplicateSequence);
  // Nothing of it was applied.
  EXPECT_EQ(s.find(1)->batches.size(), 1u);
  EXPECT_EQ(s.find(2), nullptr);
}

TEST(ProducerStateTest, ControlBatchesMoveTheEpochOnly) {
  ProducerState s;
  s.apply(batch(1, 0, 0, 2), 0);
  ProducerBatch marker = batch(1, 1, -1, 1, 2);
  marker.control = true;
  EXPECT_EQ(verdict(s, marker), ProducerCheck::kAppend);
  s.apply(marker, 0);
  EXPECT_EQ(s.find(1)->epoch, 1);
  EXPECT_TRUE(s.find(1)->batches.empty());
  EXPECT_EQ(verdict(s, batch(1, 1, 0, 1)), ProducerCheck::kAppend);
  ProducerBatch old_marker = marker;
  old_marker.producer_epoch = 0;
  EXPECT_EQ(rejection(s, old_marker), Errc::kInvalidProducerEpoch);
}

TEST(ProducerStateTest, IdleProducerIdsExpire) {
  ProducerState s;
  s.apply(batch(1, 0, 0, 1), 1000);
  s.apply(batch(2, 0, 0, 1), 5000);
  EXPECT_EQ(s.expire(6000, 2000), 1u);
  EXPECT_EQ(s.find(1), nullptr);
  EXPECT_NE(s.find(2), nullptr);
}

TEST(ProducerStateTest, SnapshotRoundTripsAndRejectsDamage) {
  ProducerState s;
  for (int i = 0; i < 7; ++i) s.apply(batch(1, 4, 3 * i, 3, 10 * i), 111);
  s.apply(batch(std::numeric_limits<int64_t>::max(), 0, kMaxSeq, 1, 99), 222);
  std::string bytes = s.serialize(1234);
  std::string why;
  auto snap = ProducerState::parse(bytes, why);
  ASSERT_TRUE(snap) << why;
  EXPECT_EQ(snap->offset, 1234);
  EXPECT_EQ(snap->state, s);
  EXPECT_EQ(snap->state.serialize(1234), bytes);

  EXPECT_TRUE(ProducerState::parse(ProducerState().serialize(0), why));
  for (size_t cut : {size_t(0), size_t(5), bytes.size() - 1}) {
    EXPECT_FALSE(ProducerState::parse(std::string_view(bytes).substr(0, cut), why)) << cut;
    EXPECT_FALSE(why.empty());
  }
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 1;
  EXPECT_FALSE(ProducerState::parse(flipped, why));
  EXPECT_EQ(why, "CRC mismatch");
}

// --- PartitionLog ---

std::unique_ptr<PartitionLog> open_log(const std::filesystem::path& dir, LogConfig config = {}) {
  auto opened = PartitionLog::open(dir, config);
  EXPECT_TRUE(opened.ok()) << opened.message();
  return std::move(opened.log);
}

std::vector<uint8_t> idempotent(int64_t pid, int16_t epoch, int32_t seq, int32_t records,
                                size_t payload = 100) {
  return make_batch({.records = records,
                     .payload_bytes = payload,
                     .producer_id = pid,
                     .producer_epoch = epoch,
                     .base_sequence = seq});
}

AppendResult append(PartitionLog& log, std::vector<uint8_t> bytes, int64_t now = 1000) {
  return log.append(bytes, now);
}

// The epochs and remembered batches, without the wall-clock times.
std::map<int64_t, std::pair<int16_t, std::vector<SequenceRange>>> state_of(
    const PartitionLog& log) {
  std::map<int64_t, std::pair<int16_t, std::vector<SequenceRange>>> out;
  for (const auto& [id, e] : log.producer_state().producers()) out[id] = {e.epoch, e.batches};
  return out;
}

std::vector<std::filesystem::path> files_with(const std::filesystem::path& dir,
                                              const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// What a kill -9 leaves: the files as they are while the log is open (appends are in the
// files at once; no snapshot written at close).
std::filesystem::path crash_copy(const std::filesystem::path& dir, const std::string& name) {
  auto copy = dir.parent_path() / name;
  std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
  return copy;
}

TEST(PartitionLogIdempotenceTest, RetryIsAcknowledgedWithItsOriginalOffsetsAndNotAppended) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "p");
  ASSERT_EQ(append(*log, make_batch({.records = 2})).base_offset, 0);
  auto first = append(*log, idempotent(7, 0, 0, 3));
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(first.base_offset, 2);
  ASSERT_TRUE(append(*log, idempotent(7, 0, 3, 2)).ok());
  ASSERT_EQ(log->log_end_offset(), 7);
  const uint64_t size = log->size_bytes();

  auto retry = append(*log, idempotent(7, 0, 0, 3));
  ASSERT_TRUE(retry.ok()) << retry.message();
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.base_offset, 2);
  EXPECT_EQ(retry.last_offset, 4);
  EXPECT_EQ(log->log_end_offset(), 7);
  EXPECT_EQ(log->size_bytes(), size);

  auto next = append(*log, idempotent(7, 0, 5, 1));
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(next.base_offset, 7);
}

TEST(PartitionLogIdempotenceTest, OutOfOrderAndFencedBatchesAreRefusedAndNothingIsAppended) {
  TempDir tmp;
  auto log = open_log(tmp.path() / "p");
  ASSERT_TRUE(append(*log, idempotent(7, 1, 0, 3)).ok());
  auto gap = append(*log, idempotent(7, 1, 4, 1));
  EXPECT_EQ(gap.status.code, Errc::kOutOfOrderSequence) << gap.message();
  auto fenced = append(*log, idempotent(7, 0, 3, 1));
  EXPECT_EQ(fenced.status.code, Errc::kInvalidProducerEpoch) << fenced.message();
  auto new_epoch_mid_sequence = append(*log, idempotent(7, 2, 3, 1));
  EXPECT_EQ(new_epoch_mid_sequence.status.code, Errc::kOutOfOrderSequence);
  EXPECT_EQ(log->log_end_offset(), 3);
  EXPECT_EQ(log->producer_state().find(7)->batches.size(), 1u);
  EXPECT_TRUE(append(*log, idempotent(7, 2, 0, 1)).ok());
}

TEST(PartitionLogIdempotenceTest, StateSurvivesACleanReopenThroughTheSnapshot) {
  TempDir tmp;
  const auto dir = tmp.path() / "p";
  {
    auto log = open_log(dir);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(append(*log, idempotent(5, 0, 2 * i, 2)).ok());
    ASSERT_TRUE(append(*log, idempotent(6, 3, 100, 1)).ok());
    ASSERT_TRUE(log->close().ok());
  }
  ASSERT_EQ(files_with(dir, ".snapshot").size(), 1u);
  EXPECT_EQ(files_with(dir, ".snapshot")[0].filename(), "00000000000000000017.snapshot");
  auto log = open_log(dir);
  auto retry = append(*log, idempotent(5, 0, 14, 2));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.base_offset, 14);
  EXPECT_TRUE(append(*log, idempotent(6, 3, 100, 1)).duplicate);
  EXPECT_EQ(append(*log, idempotent(5, 0, 17, 1)).status.code, Errc::kOutOfOrderSequence);
  auto next = append(*log, idempotent(5, 0, 16, 1));
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(next.base_offset, 17);
}

TEST(PartitionLogIdempotenceTest, StateIsRebuiltFromTheLogAfterACrash) {
  TempDir tmp;
  const auto dir = tmp.path() / "p";
  auto log = open_log(dir);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(append(*log, idempotent(5, 0, 2 * i, 2)).ok());
  ASSERT_TRUE(append(*log, make_batch({.records = 3})).ok());
  ASSERT_TRUE(append(*log, idempotent(6, 3, 100, 1)).ok());
  auto crashed = crash_copy(dir, "crashed");
  ASSERT_TRUE(files_with(crashed, ".snapshot").empty());

  auto reopened = open_log(crashed);
  EXPECT_EQ(state_of(*reopened), state_of(*log));
  EXPECT_EQ(reopened->producer_state().find(5)->batches.size(), 5u);
  auto retry = append(*reopened, idempotent(5, 0, 12, 2));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.base_offset, 12);
}

TEST(PartitionLogIdempotenceTest, TornTailTruncationTakesItsBatchOutOfTheState) {
  TempDir tmp;
  const auto dir = tmp.path() / "p";
  auto log = open_log(dir);
  ASSERT_TRUE(append(*log, idempotent(5, 0, 0, 2)).ok());
  ASSERT_TRUE(append(*log, idempotent(5, 0, 2, 2)).ok());
  ASSERT_TRUE(append(*log, idempotent(5, 0, 4, 2)).ok());  // offsets 4..5, torn below
  auto crashed = crash_copy(dir, "crashed");
  auto segment = files_with(crashed, ".log").back();
  std::filesystem::resize_file(segment, std::filesystem::file_size(segment) - 30);

  auto reopened = open_log(crashed);
  ASSERT_EQ(reopened->log_end_offset(), 4);
  ASSERT_EQ(reopened->producer_state().find(5)->batches.back().last_sequence, 3);
  // The producer's retry of the torn batch is appended (it was never acknowledged) ...
  auto retry = append(*reopened, idempotent(5, 0, 4, 2));
  ASSERT_TRUE(retry.ok()) << retry.message();
  EXPECT_FALSE(retry.duplicate);
  EXPECT_EQ(retry.base_offset, 4);
  // ... and the batch before it is still known.
  EXPECT_TRUE(append(*reopened, idempotent(5, 0, 2, 2)).duplicate);
}

TEST(PartitionLogIdempotenceTest, CrashAfterRollsScansOnlyAfterTheLatestSnapshot) {
  TempDir tmp;
  const auto dir = tmp.path() / "p";
  LogConfig config;
  config.segment_bytes = 1000;  // a roll every 3 batches
  auto log = open_log(dir, config);
  ASSERT_TRUE(append(*log, idempotent(4, 1, 0, 1, 200)).ok());  // only in the first segment
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(append(*log, idempotent(1 + i % 3, 0, 2 * (i / 3), 2, 200)).ok());
  ASSERT_GT(log->segment_count(), 5u);
  auto snapshots = files_with(dir, ".snapshot");
  ASSERT_EQ(snapshots.size(), 2u) << "the two newest are kept";
  auto crashed = crash_copy(dir, "crashed");
  // Were the first segment scanned, its zeroed bytes would lose producer 4.
  auto first = files_with(crashed, ".log").front();
  std::filesystem::resize_file(first, 0);
  std::filesystem::resize_file(first, std::filesystem::file_size(files_with(dir, ".log").front()));

  auto reopened = open_log(crashed, config);
  EXPECT_EQ(state_of(*reopened), state_of(*log));
  ASSERT_NE(reopened->producer_state().find(4), nullptr);
  EXPECT_TRUE(append(*reopened, idempotent(3, 0, 18, 2)).duplicate);
  EXPECT_TRUE(append(*reopened, idempotent(3, 0, 20, 1)).ok());
}

TEST(PartitionLogIdempotenceTest, SnapshotPastTheLogEndOrCorruptIsRemovedAndTheLogScanned) {
  TempDir tmp;
  const auto dir = tmp.path() / "p";
  {
    auto log = open_log(dir);
    ASSERT_TRUE(append(*log, idempotent(5, 0, 0, 2)).ok());
    ASSERT_TRUE(append(*log, idempotent(5, 0, 2, 2)).ok());
    ASSERT_TRUE(log->close().ok());
  }
  // The log lost its last batch after the snapshot at offset 4 was written.
  auto segment = files_with(dir, ".log").back();
  std::filesystem::resize_file(segment, std::filesystem::file_size(segment) / 2);
  {
    auto log = open_log(dir);
    ASSERT_EQ(log->log_end_offset(), 2);
    EXPECT_FALSE(std::filesystem::exists(dir / "00000000000000000004.snapshot"));
    EXPECT_EQ(log->producer_state().find(5)->batches.size(), 1u);
    EXPECT_FALSE(append(*log, idempotent(5, 0, 2, 2)).duplicate);
    ASSERT_TRUE(log->close().ok());
  }
  auto snapshot = dir / "00000000000000000004.snapshot";
  ASSERT_TRUE(std::filesystem::exists(snapshot));
  {
    std::fstream f(snapshot, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  auto log = open_log(dir);
  EXPECT_FALSE(std::filesystem::exists(snapshot));
  EXPECT_TRUE(append(*log, idempotent(5, 0, 2, 2)).duplicate);
}

TEST(PartitionLogIdempotenceTest, RetentionKeepsStateAndExpirationForgetsIdleProducers) {
  TempDir tmp;
  const auto dir = tmp.path() / "p";
  LogConfig config;
  config.segment_bytes = 500;
  config.retention_bytes = 0;
  config.retention_ms = -1;
  config.producer_id_expiration_ms = 60'000;
  {
    auto log = open_log(dir, config);
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(append(*log, idempotent(5, 0, i, 1, 200), 1000).ok());
    ASSERT_TRUE(append(*log, make_batch({.records = 1, .payload_bytes = 400}), 1000).ok());
    ASSERT_TRUE(append(*log, make_batch({.records = 1, .payload_bytes = 400}), 1000).ok());
    auto r = log->apply_retention(2000);
    ASSERT_GT(r.segments_deleted, 0);
    ASSERT_GT(log->log_start_offset(), 6);
    EXPECT_TRUE(append(*log, idempotent(5, 0, 5, 1)).duplicate);
    ASSERT_TRUE(log->close().ok());
  }
  auto log = open_log(dir, config);
  EXPECT_TRUE(append(*log, idempotent(5, 0, 5, 1)).duplicate) << "kept across reopen";
  log->apply_retention(1000 + 60'000 + 1);
  EXPECT_EQ(log->producer_state().find(5), nullptr);
}

}  // namespace
}  // namespace sluice::log
