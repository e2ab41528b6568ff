#include "log/record_timestamps.h"

#include <gtest/gtest.h>

#include "log_test_support.h"

namespace sluice::log {
namespace {

using testing::make_batch_with_records;

TEST(RecordTimestamps, FindsTheFirstRecordAtOrAfterTheTime) {
  auto batch = make_batch_with_records(1000, {0, 50, 20, 100, 300});
  BatchHeaderView(batch.data()).set_base_offset(40);
  auto at = [&](int64_t ts) { return first_record_at_or_after(batch, ts); };
  ASSERT_TRUE(at(900));
  EXPECT_EQ(at(900)->offset, 40);
  EXPECT_EQ(at(1000)->offset, 40);
  EXPECT_EQ(at(1001)->offset, 41);
  EXPECT_EQ(at(1001)->timestamp, 1050);
  EXPECT_EQ(at(1051)->offset, 43);  // record 42 (1020) is older than 1051
  EXPECT_EQ(at(1300)->offset, 44);
  EXPECT_EQ(at(1300)->timestamp, 1300);
  EXPECT_FALSE(at(1301));
}

TEST(RecordTimestamps, LogAppendTimeBatchesAnswerWithTheirFirstRecord) {
  auto batch = make_batch_with_records(1000, {0, 5, 9}, batch_attributes::kTimestampTypeLogAppend);
  auto found = first_record_at_or_after(batch, 1009);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->offset, 0);
  EXPECT_EQ(found->timestamp, 1009);
  EXPECT_FALSE(first_record_at_or_after(batch, 1010));
}

TEST(RecordTimestamps, GivesUpOnCompressedOrMalformedBatches) {
  auto compressed = make_batch_with_records(1000, {0, 5}, 1 /* gzip */);
  EXPECT_FALSE(first_record_at_or_after(compressed, 0));
  auto fake = testing::make_batch({.records = 3, .payload_bytes = 30, .fill = 0xFF});
  EXPECT_FALSE(first_record_at_or_after(fake, 0));
  auto good = make_batch_with_records(1000, {0, 5});
  good.resize(good.size() - 3);  // shorter than its length field says
  EXPECT_FALSE(first_record_at_or_after(good, 0));
}

}  // namespace
}  // namespace sluice::log
