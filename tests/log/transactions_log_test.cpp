// Transactions in the log: the producer state's open transactions and the last stable
// offset, control batches closing them, the aborted transaction index, and all of it
// across reopen (snapshot), crash (no snapshot) and a torn index.
#include <gtest/gtest.h>

#include "log/aborted_txn_index.h"
#include "log/control_record.h"
#include "log/partition_log.h"
#include "log/producer_state.h"
#include "log_test_support.h"

namespace sluice::log {
namespace {

using namespace testing;

constexpr int16_t kTransactional = 0x10;
constexpr int16_t kControl = 0x20;

std::vector<uint8_t> txn_batch(int64_t pid, int16_t epoch, int32_t seq, int32_t records) {
  BatchSpec spec;
  spec.records = records;
  spec.producer_id = pid;
  spec.producer_epoch = epoch;
  spec.base_sequence = seq;
  auto b = make_batch(spec);
  store_be<int16_t>(b.data() + batch_layout::kAttributes, kTransactional);
  store_be<uint32_t>(b.data() + batch_layout::kCrc,
                     crc32c(b.data() + batch_layout::kAttributes, b.size() - batch_layout::kAttributes));
  return b;
}

std::vector<uint8_t> marker(int64_t pid, int16_t epoch, bool commit) {
  std::vector<uint8_t> body;
  body.push_back(0);     // attributes
  put_varint(body, 0);   // timestamp delta
  put_varint(body, 0);   // offset delta
  put_varint(body, 4);
  for (uint8_t b : {0, 0, 0, commit ? 1 : 0}) body.push_back(b);
  put_varint(body, 6);
  for (int i = 0; i < 6; ++i) body.push_back(0);
  put_varint(body, 0);  // headers
  std::vector<uint8_t> records;
  put_varint(records, int64_t(body.size()));
  records.insert(records.end(), body.begin(), body.end());
  BatchSpec spec;
  spec.producer_id = pid;
  spec.producer_epoch = epoch;
  spec.payload_bytes = records.size();
  auto b = make_batch(spec);
  std::copy(records.begin(), records.end(), b.begin() + batch_layout::kHeaderSize);
  store_be<int16_t>(b.data() + batch_layout::kAttributes, kTransactional | kControl);
  store_be<uint32_t>(b.data() + batch_layout::kCrc,
                     crc32c(b.data() + batch_layout::kAttributes, b.size() - batch_layout::kAttributes));
  return b;
}

AppendResult append(PartitionLog& log, std::vector<uint8_t> bytes) {
  return log.append(bytes, 1000);
}

std::unique_ptr<PartitionLog> open_log(const std::filesystem::path& dir, LogConfig config = {}) {
  auto opened = PartitionLog::open(dir, config);
  EXPECT_TRUE(opened.ok()) << opened.message();
  return std::move(opened.log);
}

TEST(ControlRecordTest, ReadsTheMarkerTypeAndRejectsOtherBatches) {
  EXPECT_EQ(control_type(marker(1, 0, true)), ControlType::kCommit);
  EXPECT_EQ(control_type(marker(1, 0, false)), ControlType::kAbort);
  EXPECT_EQ(control_type(txn_batch(1, 0, 0, 1)), std::nullopt);  // not a control batch
  auto cut = marker(1, 0, true);
  cut.resize(cut.size() - 3);
  EXPECT_EQ(control_type(cut), std::nullopt);
}

TEST(ProducerStateTxnTest, OpenTransactionsGiveTheFirstUnstableOffset) {
  ProducerState s;
  EXPECT_EQ(s.first_unstable_offset(), std::nullopt);
  s.apply({.producer_id = 1, .producer_epoch = 0, .first_sequence = 0, .last_sequence = 1,
           .first_offset = 10, .last_offset = 11, .transactional = true},
          0);
  s.apply({.producer_id = 2, .producer_epoch = 0, .first_sequence = 0, .last_sequence = 0,
           .first_offset = 12, .last_offset = 12, .transactional = true},
          0);
  // A second batch of producer 1's transaction does not move its first offset.
  s.apply({.producer_id = 1, .producer_epoch = 0, .first_sequence = 2, .last_sequence = 2,
           .first_offset = 13, .last_offset = 13, .transactional = true},
          0);
  EXPECT_EQ(s.first_unstable_offset(), 10);
  EXPECT_EQ(s.open_transactions().size(), 2u);
  auto done = s.apply({.producer_id = 1, .producer_epoch = 0, .first_offset = 14,
                       .last_offset = 14, .control = true, .transactional = true, .abort = true},
                      0);
  ASSERT_TRUE(done);
  EXPECT_EQ(*done, (CompletedTxn{1, 10, 14, true}));
  EXPECT_EQ(s.first_unstable_offset(), 12);
  // A second marker for a closed transaction closes nothing.
  EXPECT_FALSE(s.apply({.producer_id = 1, .producer_epoch = 0, .first_offset = 15,
                        .last_offset = 15, .control = true, .transactional = true},
                       0));
  auto commit = s.apply({.producer_id = 2, .producer_epoch = 0, .first_offset = 16,
                         .last_offset = 16, .control = true, .transactional = true},
                        0);
  ASSERT_TRUE(commit);
  EXPECT_FALSE(commit->aborted);
  EXPECT_EQ(s.first_unstable_offset(), std::nullopt);
}

TEST(ProducerStateTxnTest, ExpiryKeepsProducersWithOpenTransactionsAndSnapshotsKeepThem) {
  ProducerState s;
  s.apply({.producer_id = 1, .producer_epoch = 0, .first_sequence = 0, .last_sequence = 0,
           .first_offset = 5, .last_offset = 5, .transactional = true},
          0);
  s.apply({.producer_id = 2, .producer_epoch = 0, .first_sequence = 0, .last_sequence = 0,
           .first_offset = 6, .last_offset = 6},
          0);
  EXPECT_EQ(s.expire(1000000, 10), 1u);  // producer 2 only
  ASSERT_NE(s.find(1), nullptr);
  std::string why;
  auto snap = ProducerState::parse(s.serialize(7), why);
  ASSERT_TRUE(snap) << why;
  EXPECT_EQ(snap->state, s);
  EXPECT_EQ(snap->state.first_unstable_offset(), 5);
}

TEST(AbortedTxnIndexTest, ReopensDropsTornTailsAndEntriesPastTheLogEnd) {
  TempDir dir;
  Status status;
  {
    auto index = AbortedTxnIndex::open(dir.path(), 100, status);
    ASSERT_TRUE(index) << status.message;
    ASSERT_TRUE(index->append({1, 0, 10}).ok());
    ASSERT_TRUE(index->append({2, 5, 20}).ok());
    ASSERT_TRUE(index->append({2, 5, 20}).ok());  // the same marker again: ignored
    ASSERT_TRUE(index->append({3, 30, 40}).ok());
    EXPECT_EQ(index->entries().size(), 3u);
    EXPECT_EQ(index->overlapping(11, 100), (std::vector<AbortedTxn>{{2, 5, 20}, {3, 30, 40}}));
    EXPECT_EQ(index->overlapping(0, 6), (std::vector<AbortedTxn>{{1, 0, 10}, {2, 5, 20}}));
    EXPECT_TRUE(index->overlapping(41, 100).empty());
  }
  append_bytes(dir.path() / AbortedTxnIndex::kFileName, {1, 2, 3});  // a torn entry
  {
    auto index = AbortedTxnIndex::open(dir.path(), 35, status);  // the log lost 35..
    ASSERT_TRUE(index) << status.message;
    EXPECT_EQ(index->entries(), (std::vector<AbortedTxn>{{1, 0, 10}, {2, 5, 20}}));
    ASSERT_TRUE(index->append({4, 36, 37}).ok());
  }
  auto index = AbortedTxnIndex::open(dir.path(), 100, status);
  EXPECT_EQ(index->entries().size(), 3u);
  EXPECT_EQ(std::filesystem::file_size(dir.path() / AbortedTxnIndex::kFileName),
            3 * AbortedTxnIndex::kEntryBytes);
}

TEST(PartitionLogTxnTest, LastStableOffsetAndAbortedTransactionsSurviveReopenAndCrash) {
  TempDir tmp;
  const auto dir = tmp.path() / "t-0", crashed = tmp.path() / "crashed";
  auto log = open_log(dir);
  ASSERT_TRUE(append(*log, txn_batch(7, 0, 0, 3)).ok());   // 0..2, producer 7 open
  ASSERT_TRUE(append(*log, make_batch()).ok());            // 3, plain
  ASSERT_TRUE(append(*log, txn_batch(8, 0, 0, 2)).ok());   // 4..5, producer 8 open
  EXPECT_EQ(log->last_stable_offset(), 0);
  ASSERT_TRUE(append(*log, marker(7, 0, false)).ok());     // 6: abort 7
  EXPECT_EQ(log->last_stable_offset(), 4);
  EXPECT_EQ(log->aborted_transactions(0, 7), (std::vector<AbortedTxn>{{7, 0, 6}}));
  // A read bounded by the LSO stops before producer 8's batch.
  auto read = log->read(0, 1 << 20, log->last_stable_offset());
  ASSERT_TRUE(read.ok());
  uint64_t expect_bytes = 0;
  for (auto& b : {txn_batch(7, 0, 0, 3), make_batch()}) expect_bytes += b.size();
  EXPECT_EQ(read.bytes, expect_bytes);
  // A marker nobody can read is refused.
  auto bad = marker(8, 0, true);
  bad[bad.size() - 10] = 0x7f;
  store_be<uint32_t>(bad.data() + batch_layout::kCrc,
                     crc32c(bad.data() + batch_layout::kAttributes, bad.size() - batch_layout::kAttributes));
  EXPECT_EQ(append(*log, bad).status.code, Errc::kCorruptBatch);

  // Crash: no close, no snapshot. The reopened log scans the batches.
  std::filesystem::copy(dir, crashed);
  log.reset();  // clean close writes a snapshot
  for (auto path : {dir, crashed}) {
    // Without a snapshot the log is scanned from its start: even a lost index comes back.
    if (path == crashed) std::filesystem::remove(path / AbortedTxnIndex::kFileName);
    auto reopened = open_log(path);
    EXPECT_EQ(reopened->last_stable_offset(), 4) << path;
    EXPECT_EQ(reopened->open_transactions(), (std::vector<OpenTxn>{{8, 0, 4}}));
    ASSERT_TRUE(append(*reopened, marker(8, 0, true)).ok());
    EXPECT_EQ(reopened->last_stable_offset(), reopened->log_end_offset());
    EXPECT_EQ(reopened->aborted_transactions(0, 100), (std::vector<AbortedTxn>{{7, 0, 6}}));
  }
  // The snapshot carries the open transaction when the batches before it are not scanned.
  auto again = open_log(dir);
  EXPECT_EQ(again->last_stable_offset(), again->log_end_offset());
  EXPECT_EQ(again->aborted_transactions(0, 100).size(), 1u);
}

TEST(PartitionLogTxnTest, AFencedEpochsMarkerIsRefused) {
  TempDir dir;
  auto log = open_log(dir.path());
  ASSERT_TRUE(append(*log, txn_batch(7, 3, 0, 1)).ok());
  EXPECT_EQ(append(*log, marker(7, 2, false)).status.code, Errc::kInvalidProducerEpoch);
  EXPECT_EQ(log->last_stable_offset(), 0);
  // A newer epoch's marker (the coordinator fencing the producer) closes it.
  ASSERT_TRUE(append(*log, marker(7, 4, false)).ok());
  EXPECT_EQ(log->last_stable_offset(), 2);
  EXPECT_EQ(append(*log, txn_batch(7, 3, 1, 1)).status.code, Errc::kInvalidProducerEpoch);
}

}  // namespace
}  // namespace sluice::log
