// LatencyHistogram: the end-to-end latency of a sample of the records a sink subtask was
// handed (one in kLatencySampleEvery: the first, then every 16th, as Flink samples latency
// instead of timing every record: one clock read per record cost more than the rest of a
// pass-through sink), in fixed buckets (Prometheus-style, upper bounds in ms); count is the
// number of records measured. End-to-end latency of a record =
// the processing time (the wall clock) when the sink operator receives it minus the
// record's timestamp — for a Kafka source, the Kafka record's timestamp (the producer's
// CreateTime, or the broker's LogAppendTime); for a window result, its window's end - 1.
// Records without a timestamp are not counted; a timestamp in the future counts as 0.
// record() is called by the sink subtask's thread only; snapshot() from any thread (relaxed
// atomics: a snapshot may be a few records apart between buckets and count).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>

#include "sluice/time.h"

namespace sluice::runtime {

// A sink measures the first record it is handed with a timestamp, then every 16th one.
inline constexpr uint32_t kLatencySampleEvery = 16;

// Upper bounds (inclusive, ms) of the buckets; one more bucket for everything above.
inline constexpr std::array<int64_t, 16> kLatencyBucketsMs = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000, 300000};

// A copy of a histogram's counts (non-cumulative per bucket), summed over subtasks.
struct LatencyCounts {
  std::array<uint64_t, kLatencyBucketsMs.size() + 1> buckets{};  // last: above the last bound
  uint64_t count = 0;
  uint64_t sum_ms = 0;

  LatencyCounts& operator+=(const LatencyCounts& o) {
    for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
    count += o.count;
    sum_ms += o.sum_ms;
    return *this;
  }
  // The upper bound (ms) of the bucket holding quantile q (0..1): -1 when empty, and
  // kMaxTimestamp when it is above the last bound.
  int64_t quantile_bound_ms(double q) const {
    if (count == 0) return -1;
    uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * static_cast<double>(count) + 0.999999));
    uint64_t seen = 0;
    for (size_t i = 0; i < kLatencyBucketsMs.size(); ++i) {
      seen += buckets[i];
      if (seen >= rank) return kLatencyBucketsMs[i];
    }
    return kMaxTimestamp;
  }
};

class LatencyHistogram {
 public:
  void record(int64_t latency_ms) {
    latency_ms = std::max<int64_t>(latency_ms, 0);
    size_t i = std::lower_bound(kLatencyBucketsMs.begin(), kLatencyBucketsMs.end(), latency_ms) -
               kLatencyBucketsMs.begin();
    // One writer: plain loads and stores, no locked read-modify-write per record.
    add(buckets_[i], 1);
    add(sum_ms_, static_cast<uint64_t>(latency_ms));
    add(count_, 1);
  }
  LatencyCounts snapshot() const {
    LatencyCounts c;
    for (size_t i = 0; i < buckets_.size(); ++i) c.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    c.count = count_.load(std::memory_order_relaxed);
    c.sum_ms = sum_ms_.load(std::memory_order_relaxed);
    return c;
  }

 private:
  static void add(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::array<std::atomic<uint64_t>, kLatencyBucketsMs.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ms_{0};
};

}  // namespace sluice::runtime
