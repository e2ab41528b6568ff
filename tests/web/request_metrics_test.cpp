#include "common/request_metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sluice {
namespace {

using namespace std::chrono_literals;

TEST(RequestMetrics, CountsBytesRequestsAndLatencyPerApi) {
  RequestMetrics m;
  EXPECT_FALSE(m.active());
  m.record(0, "Produce", 100, 20, 300us, false);
  m.record(0, "Produce", 50, 20, 2ms, false);
  m.record(1, "Fetch", 10, 1000, 200ms, false);
  m.record(3, "Metadata", 10, 0, 1us, true);
  m.record(-1, "", 7, 0, 1us, true);  // an unknown API: bytes only
  EXPECT_TRUE(m.active());
  EXPECT_EQ(m.bytes_in(), 177u);
  EXPECT_EQ(m.bytes_out(), 1040u);
  EXPECT_EQ(m.api(0).requests.load(), 2u);
  EXPECT_EQ(m.api(3).failures.load(), 1u);

  const std::string text = m.prometheus();
  EXPECT_NE(text.find("sluice_broker_bytes_in_total 177\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_broker_requests_total{api=\"Produce\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("sluice_broker_request_failures_total{api=\"Metadata\"} 1\n"), std::string::npos);
  // Buckets are cumulative: 300us is under 0.0005, 2ms under 0.0025.
  EXPECT_NE(text.find("sluice_broker_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0001\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_broker_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_broker_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0025\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_broker_request_duration_seconds_bucket{api=\"Fetch\",le=\"0.1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_broker_request_duration_seconds_bucket{api=\"Fetch\",le=\"0.5\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_broker_request_duration_seconds_bucket{api=\"Fetch\",le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("sluice_broker_request_duration_seconds_count{api=\"Produce\"} 2\n"), std::string::npos);
  EXPECT_EQ(text.find("api=\"\""), std::string::npos);
}

TEST(RequestMetrics, ConcurrentRecordsAreAllCounted) {
  RequestMetrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) m.record(1, "Fetch", 1, 2, 1ms, false);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.api(1).requests.load(), 40000u);
  EXPECT_EQ(m.bytes_in(), 40000u);
  EXPECT_EQ(m.bytes_out(), 80000u);
}

}  // namespace
}  // namespace sluice
