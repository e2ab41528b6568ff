// Opening a log after a crash: torn or corrupt tails of the active segment are cut off,
// missing or damaged index files are rebuilt.
#include <gtest/gtest.h>

#include <fstream>

#include "log/partition_log.h"
#include "log_test_support.h"

namespace sluice::log {
namespace {

using testing::BatchSpec;
using testing::make_batch;
using testing::TempDir;

const char* kFirst = "00000000000000000000";

std::unique_ptr<PartitionLog> open_log(const std::filesystem::path& dir, LogConfig config = {}) {
  auto opened = PartitionLog::open(dir, config);
  EXPECT_TRUE(opened.ok()) << opened.message();
  return std::move(opened.log);
}

AppendResult append_one(PartitionLog& log, BatchSpec spec = {.records = 1}, int64_t now = 1000) {
  auto bytes = make_batch(spec);
  return log.append(bytes, now);
}

// Writes `n` batches of 2 records each (161 bytes) and closes the log.
void write_batches(const std::filesystem::path& dir, int n, LogConfig config = {}) {
  auto log = open_log(dir, config);
  for (int i = 0; i < n; ++i) ASSERT_TRUE(append_one(*log, {.records = 2}).ok());
  ASSERT_TRUE(log->close().ok());
}

std::filesystem::path active_log(const std::filesystem::path& dir) {
  std::filesystem::path last;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".log" && e.path() > last) last = e.path();
  return last;
}

// Reopens and checks the log ends after `batches` valid batches, then appends one more.
void expect_recovered_to(const std::filesystem::path& dir, int batches,
                         uint64_t segment_base_size = 0) {
  auto log = open_log(dir);
  EXPECT_EQ(log->log_end_offset(), 2 * batches);
  EXPECT_EQ(std::filesystem::file_size(active_log(dir)), segment_base_size + 161u * batches);
  auto r = append_one(*log);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.base_offset, 2 * batches);
  auto all = log->read(0, 1 << 20, log->log_end_offset());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.bytes, 161u * (batches + 1));
}

void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Recovery, GarbageAfterTheLastBatchIsTruncated) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  write_batches(dir, 5);
  testing::append_bytes(dir / (std::string(kFirst) + ".log"), std::vector<uint8_t>(333, 0x5A));
  expect_recovered_to(dir, 5);
}

TEST(Recovery, AHalfWrittenBatchIsTruncated) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  write_batches(dir, 4);
  auto batch = make_batch({.records = 2});
  BatchHeaderView(batch.data()).set_base_offset(8);
  batch.resize(batch.size() / 2);
  testing::append_bytes(dir / (std::string(kFirst) + ".log"), batch);
  expect_recovered_to(dir, 4);
}

TEST(Recovery, ATornHeaderIsTruncated) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  write_batches(dir, 3);
  auto batch = make_batch({.records = 2});
  batch.resize(20);
  testing::append_bytes(dir / (std::string(kFirst) + ".log"), batch);
  expect_recovered_to(dir, 3);
}

TEST(Recovery, ABatchWithAFlippedByteIsTruncatedWithEverythingAfterIt) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  write_batches(dir, 6);
  auto path = dir / (std::string(kFirst) + ".log");
  auto bytes = read_file(path);
  bytes[3 * 161 + 100] ^= 0x01;  // in the records of the 4th batch
  write_file(path, bytes);
  expect_recovered_to(dir, 3);
}

TEST(Recovery, ABatchWithAFlippedCrcByteIsTruncated) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  write_batches(dir, 2);
  auto batch = make_batch({.records = 2});
  BatchHeaderView(batch.data()).set_base_offset(4);
  batch[batch_layout::kCrc + 2] ^= 0x80;
  testing::append_bytes(dir / (std::string(kFirst) + ".log"), batch);
  expect_recovered_to(dir, 2);
}

TEST(Recovery, ABatchWhoseOffsetsGoBackwardsIsTruncated) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  write_batches(dir, 3);
  auto batch = make_batch({.records = 2});  // base offset 0 again: valid CRC, wrong offset
  testing::append_bytes(dir / (std::string(kFirst) + ".log"), batch);
  expect_recovered_to(dir, 3);
}

TEST(Recovery, AnEntirelyCorruptActiveSegmentBecomesEmpty) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  write_batches(dir, 1);
  write_file(dir / (std::string(kFirst) + ".log"), std::vector<uint8_t>(1000, 0xEE));
  expect_recovered_to(dir, 0);
}

TEST(Recovery, OnlyTheActiveSegmentIsCutWhenThereAreSeveral) {
  TempDir tmp;
  auto dir = tmp.path() / "t-0";
  LogConfig c;
  c.segment_bytes = 400;  // two 161-byte batches per segment
  write_batches(dir, 7, c);
  auto active = active_log(dir);
  EXPECT_EQ(active.filename().string(), "00000000000000000012.log");
  testing::append_bytes(active, std::vector<uint8_t>(50, 0x01));
  auto log = open_log(dir, c);
  EXPECT_EQ(log->log_end_offset(), 14);
  EXPECT_EQ(log->size_bytes(), 7u * 161);
  EXPECT_EQ(std::filesystem::file_size(active), 161u);
  auto r = append_one(*log);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.base_offset, 14);
}

class IndexRebuild : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() / "t-0";
    config_.segment_bytes = 2000;
    config_.index_interval_bytes = 300;
    auto log = open_log(dir_, config_);
    for (int i = 0; i < 30; ++i)
      ASSERT_TRUE(append_one(*log, {.records = 2, .max_timestamp = 1000 + 10 * i}).ok());
    ASSERT_TRUE(log->close().ok());
    index_ = dir_ / (std::string(kFirst) + ".index");
    time_index_ = dir_ / (std::string(kFirst) + ".timeindex");
    original_index_ = read_file(index_);
    original_time_index_ = read_file(time_index_);
    ASSERT_EQ(original_index_.size(), 8u * 5);  // batches at 322, 644, ... of 12 in 2000 B
    ASSERT_FALSE(original_time_index_.empty());
  }

  // Reopens; the first segment's indexes must equal the originals, and serve lookups.
  void expect_rebuilt() {
    auto log = open_log(dir_, config_);
    EXPECT_EQ(read_file(index_), original_index_);
    EXPECT_EQ(read_file(time_index_), original_time_index_);
    EXPECT_EQ(log->log_end_offset(), 60);
    for (int64_t o : {0, 7, 13, 23}) {
      auto r = log->read(o, 1, 60);
      ASSERT_TRUE(r.ok());
      auto batches = testing::frame(testing::read_range(r.ranges.at(0)));
      ASSERT_EQ(batches.size(), 1u);
      EXPECT_EQ(batches[0].base_offset, o - o % 2);
    }
    EXPECT_EQ(log->offset_for_timestamp(1055).offset, 12);
  }

  TempDir tmp_;
  std::filesystem::path dir_, index_, time_index_;
  LogConfig config_;
  std::vector<uint8_t> original_index_, original_time_index_;
};

TEST_F(IndexRebuild, DeletedIndexFilesAreRebuilt) {
  std::filesystem::remove(index_);
  std::filesystem::remove(time_index_);
  expect_rebuilt();
}

TEST_F(IndexRebuild, ADeletedTimeIndexAloneIsRebuilt) {
  std::filesystem::remove(time_index_);
  expect_rebuilt();
}

TEST_F(IndexRebuild, AnIndexOfTheWrongSizeIsRebuilt) {
  write_file(index_, {1, 2, 3});
  expect_rebuilt();
}

TEST_F(IndexRebuild, AnIndexPointingAtTheWrongBatchIsRebuilt) {
  auto bad = original_index_;
  store_be<int32_t>(bad.data() + bad.size() - 4, 161);  // a valid batch, but not that one
  write_file(index_, bad);
  expect_rebuilt();
}

TEST_F(IndexRebuild, ANonMonotonicTimeIndexIsRebuilt) {
  std::vector<uint8_t> bad(24, 0);
  store_be<int64_t>(bad.data(), 5000);
  store_be<int32_t>(bad.data() + 8, 4);
  store_be<int64_t>(bad.data() + 12, 4000);
  store_be<int32_t>(bad.data() + 20, 6);
  write_file(time_index_, bad);
  expect_rebuilt();
}

TEST_F(IndexRebuild, OrphanIndexAndTempFilesAreRemoved) {
  write_file(dir_ / "00000000000000000999.index", {0, 0, 0, 0});
  write_file(dir_ / "00000000000000000000.index.tmp", {0});
  auto log = open_log(dir_, config_);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "00000000000000000999.index"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "00000000000000000000.index.tmp"));
}

}  // namespace
}  // namespace sluice::log
