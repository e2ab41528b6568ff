// The end-to-end latency histogram of sinks (stream/runtime/latency_histogram.h) that the
// dashboard shows per job and /metrics exposes as sluice_job_end_to_end_latency_seconds.
#include "stream/runtime/latency_histogram.h"

#include <gtest/gtest.h>

namespace sluice::runtime {
namespace {

TEST(LatencyHistogram, PutsEachLatencyInTheFirstBucketWhoseBoundHoldsIt) {
  LatencyHistogram h;
  h.record(0);       // <= 1 ms
  h.record(1);       // <= 1 ms (bounds are inclusive)
  h.record(2);       // <= 2 ms
  h.record(7);       // <= 10 ms
  h.record(-50);     // a timestamp in the future counts as 0
  h.record(400000);  // above the last bound
  LatencyCounts c = h.snapshot();
  EXPECT_EQ(c.count, 6u);
  EXPECT_EQ(c.sum_ms, 0u + 1 + 2 + 7 + 0 + 400000);
  EXPECT_EQ(c.buckets[0], 3u);
  EXPECT_EQ(c.buckets[1], 1u);
  EXPECT_EQ(c.buckets[3], 1u);
  EXPECT_EQ(c.buckets.back(), 1u);
  EXPECT_EQ(c.buckets.size(), kLatencyBucketsMs.size() + 1);
}

TEST(LatencyHistogram, QuantilesAreTheBoundsOfTheBucketsHoldingThem) {
  LatencyCounts empty;
  EXPECT_EQ(empty.quantile_bound_ms(0.5), -1);
  LatencyHistogram h;
  for (int i = 0; i < 90; ++i) h.record(3);   // <= 5 ms
  for (int i = 0; i < 9; ++i) h.record(150);  // <= 200 ms
  h.record(70000);                            // <= 300000 ms
  LatencyCounts c = h.snapshot();
  EXPECT_EQ(c.quantile_bound_ms(0.5), 5);
  EXPECT_EQ(c.quantile_bound_ms(0.9), 5);
  EXPECT_EQ(c.quantile_bound_ms(0.95), 200);
  EXPECT_EQ(c.quantile_bound_ms(0.99), 200);
  EXPECT_EQ(c.quantile_bound_ms(1.0), 300000);
  h.record(10'000'000);
  EXPECT_EQ(h.snapshot().quantile_bound_ms(1.0), kMaxTimestamp);
}

TEST(LatencyHistogram, SnapshotsOfSubtasksAdd) {
  LatencyHistogram a, b;
  a.record(1);
  b.record(1);
  b.record(60000);
  LatencyCounts sum = a.snapshot();
  sum += b.snapshot();
  EXPECT_EQ(sum.count, 3u);
  EXPECT_EQ(sum.buckets[0], 2u);
  EXPECT_EQ(sum.sum_ms, 60002u);
}

}  // namespace
}  // namespace sluice::runtime
