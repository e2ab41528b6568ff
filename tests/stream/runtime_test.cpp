// The runtime under pressure and control: a slow sink bounds what is in flight, cancel
// ends an endless job, stop drains it, and bad graphs are refused with a clear error.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sluice/sluice.h"
#include "test_sources.h"

namespace sluice {
namespace {

using testing::CountingSource;
using testing::eventually;

struct SlowSinkState {
  std::atomic<int64_t> written{0};
  std::atomic<bool> flushed{false};
  std::atomic<bool> closed{false};
};

class SlowSink final : public Sink<int64_t> {
 public:
  SlowSink(std::shared_ptr<SlowSinkState> state, std::chrono::microseconds delay)
      : state_(std::move(state)), delay_(delay) {}
  std::unique_ptr<SinkWriter<int64_t>> create_writer(const SubtaskInfo&) override {
    return std::make_unique<Writer>(state_, delay_);
  }

 private:
  class Writer final : public SinkWriter<int64_t> {
   public:
    Writer(std::shared_ptr<SlowSinkState> state, std::chrono::microseconds delay) : state_(state), delay_(delay) {}
    void write(const int64_t& v, const SinkContext&) override {
      EXPECT_EQ(v, expected_++);  // in order, nothing lost
      if (delay_.count()) std::this_thread::sleep_for(delay_);
      state_->written.fetch_add(1);
    }
    void flush() override { state_->flushed = true; }
    void close() override { state_->closed = true; }

   private:
    std::shared_ptr<SlowSinkState> state_;
    std::chrono::microseconds delay_;
    int64_t expected_ = 0;
  };
  std::shared_ptr<SlowSinkState> state_;
  std::chrono::microseconds delay_;
};

TEST(Runtime, ASlowSinkBackPressuresTheSourceAndCancelEndsTheJob) {
  StreamEnvironment env;
  env.set_buffer_size(16).set_channel_capacity(4);
  auto emitted = std::make_shared<std::atomic<int64_t>>(0);
  auto sink = std::make_shared<SlowSinkState>();
  env.from_source(CountingSource(emitted), WatermarkStrategy<int64_t>::no_watermarks(), "count")
      .map([](int64_t v) { return v; })
      .sink_to(SlowSink(sink, std::chrono::microseconds(200)))
      .name("slow");
  // The sink runs in its own task so that a channel sits between it and the source.
  env.graph().nodes.back().chainable = false;
  auto job = env.execute_async("backpressure");
  int64_t max_in_flight = 0;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    max_in_flight = std::max(max_in_flight, emitted->load() - sink->written.load());
  }
  EXPECT_GT(sink->written.load(), 0);
  // In flight at most: the channel (4 batches of 16), the batch being filled, the batch
  // being written, one source poll (64) and one blocked push.
  EXPECT_LE(max_in_flight, 16 * 4 + 16 + 16 + 64 + 16) << "memory is not bounded";
  auto snapshot = job.snapshot();
  EXPECT_GT(snapshot.vertices[0].backpressure_ns, 0) << "the source should have waited on the sink";
  job.cancel();
  job.wait();  // no failure
  EXPECT_EQ(job.state(), JobState::cancelled);
  EXPECT_TRUE(sink->closed.load());
  EXPECT_FALSE(sink->flushed.load()) << "a cancel must not flush";
}

TEST(Runtime, StopDrainsAnEndlessJobAndFlushesItsSinks) {
  StreamEnvironment env;
  env.set_parallelism(2);
  auto emitted = std::make_shared<std::atomic<int64_t>>(0);
  auto sink = std::make_shared<SlowSinkState>();
  env.from_source(CountingSource(emitted), WatermarkStrategy<int64_t>::no_watermarks(), "count")
      .set_parallelism(1)
      .sink_to(SlowSink(sink, std::chrono::microseconds(0)))
      .set_parallelism(1);
  auto job = env.execute_async("stop");
  ASSERT_TRUE(eventually([&] { return sink->written.load() > 1000; }));
  job.stop();
  job.wait();
  EXPECT_EQ(job.state(), JobState::finished);
  EXPECT_TRUE(sink->flushed.load());
  EXPECT_EQ(sink->written.load(), emitted->load()) << "a drained job delivers everything it read";
}

TEST(Runtime, ForwardBetweenDifferentParallelismsIsRefused) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<int>>();
  env.from_collection(std::vector<int>{1}).forward().map([](int x) { return x; }).set_parallelism(2).sink_to(
      CollectSink<int>(out));
  EXPECT_THROW(env.execute(), std::invalid_argument);
}

TEST(Runtime, JobSnapshotShowsOperatorsAndCounts) {
  StreamEnvironment env;
  env.set_parallelism(2);
  auto out = std::make_shared<Collected<int>>();
  env.from_collection(std::vector<int>{1, 2, 3, 4})
      .map([](int x) { return x * 2; })
      .name("double")
      .key_by([](int x) { return x % 3; })
      .reduce([](int a, int b) { return a + b; })
      .sink_to(CollectSink<int>(out));
  auto job = env.execute_async("snapshot");
  job.wait();
  auto snap = job.snapshot();
  EXPECT_EQ(snap.state, JobState::finished);
  ASSERT_EQ(snap.vertices.size(), 4u);
  EXPECT_EQ(snap.vertices[1].name, "double");
  EXPECT_EQ(snap.vertices[1].records_in, 4u);
  EXPECT_EQ(snap.vertices[1].records_out, 4u);
  EXPECT_EQ(snap.vertices[2].records_in, 4u);
  EXPECT_EQ(snap.edges[1].partitioning, "HASH");
  EXPECT_EQ(snap.edges[0].partitioning, "REBALANCE");
}

}  // namespace
}  // namespace sluice
