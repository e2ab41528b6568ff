// Text forms of times: the ISO-8601 forms the seeds' producers write, and durations.
#include <gtest/gtest.h>

#include "sluice/time_text.h"

namespace sluice {
namespace {

TEST(TimeText, Iso8601AcceptsTheSeedsForms) {
  const Timestamp t = 1716467696000;  // 2024-05-23T12:34:56Z
  EXPECT_EQ(parse_iso8601("2024-05-23T12:34:56Z"), t);
  EXPECT_EQ(parse_iso8601("2024-05-23T12:34:56"), t);           // no zone: UTC
  EXPECT_EQ(parse_iso8601("2024-05-23 12:34:56"), t);           // Python's str(datetime)
  EXPECT_EQ(parse_iso8601("2024-05-23T12:34:56.789123"), t + 789);
  EXPECT_EQ(parse_iso8601("2024-05-23T14:34:56+02:00"), t);     // a zone offset
  EXPECT_EQ(parse_iso8601("2024-05-23T07:04:56-0530"), t);
  EXPECT_EQ(require_iso8601("2024-05-23T12:34:56.5Z"), t + 500);
}

TEST(TimeText, Iso8601RefusesWhatIsNotATime) {
  for (const char* bad : {"", "2024-05-23", "2024-13-01T00:00:00", "2024-02-30T00:00:00", "2024-05-23T24:00:00",
                          "2024-05-23T12:34:56+2", "2024-05-23T12:34:56+25:00", "2024-05-23T12:34:56Zjunk",
                          "2024-05-23X12:34:56"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
    EXPECT_THROW(require_iso8601(bad), std::invalid_argument) << bad;
  }
}

TEST(TimeText, FormatReadsBack) {
  for (Timestamp t : {Timestamp(0), Timestamp(1716467696000), Timestamp(1716467696789)})
    EXPECT_EQ(parse_iso8601(format_iso8601(t)), t);
  EXPECT_EQ(format_iso8601(1716467696000), "2024-05-23T12:34:56Z");
}

TEST(TimeText, Durations) {
  EXPECT_EQ(parse_duration("30s"), Duration(30000));
  EXPECT_EQ(parse_duration("500ms"), Duration(500));
  EXPECT_EQ(parse_duration("2m"), Duration(120000));
  EXPECT_THROW(parse_duration("soon"), std::invalid_argument);
}

}  // namespace
}  // namespace sluice
