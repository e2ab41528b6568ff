// The choice of a partition's new offset in `groups reset-offsets`, and the datetimes
// --to-datetime accepts.
#include "kafka/client/offset_reset.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

namespace sluice::kafka::client {
namespace {

PartitionPosition position(int64_t committed, int64_t low, int64_t high, int64_t by_time = -1) {
  PartitionPosition p;
  p.committed = committed;
  p.watermarks = {low, high};
  p.offset_for_time = by_time;
  return p;
}

TEST(ResetTarget, EarliestAndLatestAreTheWatermarks) {
  EXPECT_EQ(reset_target({OffsetReset::Mode::earliest, 0}, position(7, 3, 10)).offset, 3);
  EXPECT_EQ(reset_target({OffsetReset::Mode::latest, 0}, position(7, 3, 10)).offset, 10);
  EXPECT_FALSE(reset_target({OffsetReset::Mode::latest, 0}, position(-1, 3, 10)).clamped);
}

TEST(ResetTarget, OffsetOutsideTheLogIsMovedToTheNearestEnd) {
  const auto inside = reset_target({OffsetReset::Mode::offset, 5}, position(-1, 3, 10));
  EXPECT_EQ(inside.offset, 5);
  EXPECT_FALSE(inside.clamped);
  const auto below = reset_target({OffsetReset::Mode::offset, 1}, position(-1, 3, 10));
  EXPECT_EQ(below.offset, 3);
  EXPECT_TRUE(below.clamped);
  const auto above = reset_target({OffsetReset::Mode::offset, 99}, position(-1, 3, 10));
  EXPECT_EQ(above.offset, 10);
  EXPECT_TRUE(above.clamped);
}

TEST(ResetTarget, TimestampAfterEveryRecordGivesTheLogEnd) {
  EXPECT_EQ(reset_target({OffsetReset::Mode::timestamp, 1}, position(-1, 0, 10, 4)).offset, 4);
  EXPECT_EQ(reset_target({OffsetReset::Mode::timestamp, 1}, position(-1, 0, 10, -1)).offset, 10);
}

TEST(ResetTarget, ShiftByMovesFromTheCommittedOffset) {
  EXPECT_EQ(reset_target({OffsetReset::Mode::shift_by, -2}, position(7, 0, 10)).offset, 5);
  EXPECT_EQ(reset_target({OffsetReset::Mode::shift_by, 5}, position(7, 0, 10)).offset, 10);
  EXPECT_THROW(reset_target({OffsetReset::Mode::shift_by, 1}, position(-1, 0, 10)),
               std::invalid_argument);
}

TEST(ParseDatetime, UtcAndOffsets) {
  EXPECT_EQ(parse_datetime_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_datetime_ms("2024-05-01T12:00:00.250Z"), 1714564800250);
  EXPECT_EQ(parse_datetime_ms("2024-05-01T12:00:00.5Z"), 1714564800500);
  EXPECT_EQ(parse_datetime_ms("2024-05-01T14:00:00+02:00"), 1714564800000);
  EXPECT_EQ(parse_datetime_ms("2024-05-01T07:30:00-0430"), 1714564800000);
  EXPECT_EQ(parse_datetime_ms("2024-05-01T12:00Z"), 1714564800000);
  EXPECT_EQ(parse_datetime_ms("2024-05-01Z"), 1714521600000);
}

TEST(ParseDatetime, WithoutZoneIsLocalTime) {
  setenv("TZ", "Asia/Kolkata", 1);  // +05:30, no daylight saving
  tzset();
  EXPECT_EQ(parse_datetime_ms("2024-05-01T17:30:00"), 1714564800000);
  unsetenv("TZ");
  tzset();
}

TEST(ParseDatetime, RejectsWhatIsNotADatetime) {
  for (const char* bad : {"", "yesterday", "2024-5-1", "2024-05-01T12", "2024-13-01T00:00:00Z",
                          "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00Zjunk", "1714564800000"}) {
    EXPECT_THROW(parse_datetime_ms(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace sluice::kafka::client
