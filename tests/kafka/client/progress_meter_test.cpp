// ProgressMeter: plain periodic lines when the output is not a terminal, and the summary.
#include "kafka/client/progress_meter.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

namespace sluice::kafka::client {
namespace {

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  return out;
}

TEST(ProgressMeter, HumanNumbers) {
  EXPECT_EQ(ProgressMeter::human(999), "999");
  EXPECT_EQ(ProgressMeter::human(12345), "12.3k");
  EXPECT_EQ(ProgressMeter::human(4'560'000), "4.56M");
}

TEST(ProgressMeter, PlainLinesOnAFileThenASummary) {
  std::FILE* f = std::tmpfile();
  ProgressMeter meter("produced", f, std::chrono::milliseconds(20));
  meter.update(1, 10);  // too early for a line
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  meter.update(2, 20);
  meter.finish(", 1 failed");
  const auto out = read_all(f);
  std::fclose(f);
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_NE(out.find("produced 2 records (20B)"), std::string::npos) << out;
  EXPECT_NE(out.find(", 1 failed\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("produced 1 records"), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice::kafka::client
