// Timers of keyed functions in both time domains, watermarks over splits and channels,
// idleness, and state TTL inside a running job.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "sluice/sluice.h"
#include "test_sources.h"

namespace sluice {
namespace {

using testing::eventually;
using testing::finish;
using testing::gate;
using testing::rec;
using testing::ScriptedSource;
using testing::ScriptStep;

// Registers an event-time timer at timestamp + delay; on a timer, emits "key@time".
class EventTimerEcho final : public KeyedProcessFunction<std::string, int64_t, std::string> {
 public:
  explicit EventTimerEcho(Timestamp delay) : delay_(delay) {}
  void process_element(const int64_t&, Context& ctx, Collector<std::string>&) override {
    ctx.timer_service().register_event_time_timer(ctx.timestamp() + delay_);
  }
  void on_timer(Timestamp time, OnTimerContext& ctx, Collector<std::string>& out) override {
    EXPECT_EQ(ctx.time_domain(), TimeDomain::event_time);
    out.collect(ctx.current_key() + "@" + std::to_string(time));
  }

 private:
  Timestamp delay_;
};

TEST(Timers, EventTimeTimersFireInOrderAsWatermarksPass) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<std::string>>();
  // value 0 -> key "a", 1 -> "b"
  std::vector<std::pair<int64_t, Timestamp>> input = {{0, 1}, {1, 5}, {0, 20}, {0, 21}, {1, 30}};
  env.from_source(CollectionSource<int64_t>(input), WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "in")
      .key_by([](int64_t v) { return std::string(v ? "b" : "a"); })
      .process(EventTimerEcho(10))
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  // a@11 (ts 1), b@15, a@30 (ts 20), a@31 (ts 21), b@40: the final watermark fires the rest.
  EXPECT_EQ(out->values(), (std::vector<std::string>{"a@11", "b@15", "a@30", "a@31", "b@40"}));
  EXPECT_EQ(out->timestamps(), (std::vector<Timestamp>{11, 15, 30, 31, 40}));
}

TEST(Timers, ATimerRegisteredTwiceFiresOnce) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<std::string>>();
  std::vector<std::pair<int64_t, Timestamp>> input = {{0, 10}, {0, 10}, {0, 10}};
  env.from_source(CollectionSource<int64_t>(input), WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "in")
      .key_by([](int64_t) { return std::string("k"); })
      .process(EventTimerEcho(5))
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"k@15"}));
}

class ProcessingTimerEcho final : public KeyedProcessFunction<std::string, int64_t, std::string> {
 public:
  void process_element(const int64_t&, Context& ctx, Collector<std::string>&) override {
    ctx.timer_service().register_processing_time_timer(ctx.timer_service().current_processing_time() + 100);
  }
  void on_timer(Timestamp time, OnTimerContext& ctx, Collector<std::string>& out) override {
    EXPECT_EQ(ctx.time_domain(), TimeDomain::processing_time);
    out.collect(ctx.current_key() + "@" + std::to_string(time));
  }
};

TEST(Timers, ProcessingTimeTimersFireWhenTheClockReachesThem) {
  auto clock = std::make_shared<ManualClock>(1000);
  auto open_gate = std::make_shared<std::atomic<int>>(0);
  StreamEnvironment env;
  env.set_clock(clock);
  auto out = std::make_shared<Collected<std::string>>();
  env.from_source(ScriptedSource({rec(0, 0, 0), rec(0, 1, 0), gate()}, {0}, open_gate),
                  WatermarkStrategy<int64_t>::no_watermarks(), "in")
      .key_by([](int64_t v) { return std::string(v ? "b" : "a"); })
      .process(ProcessingTimerEcho{})
      .name("timers")
      .sink_to(CollectSink<std::string>(out));
  auto job = env.execute_async();
  ASSERT_TRUE(eventually([&] { return job.snapshot().vertices[1].records_in == 2; }));
  clock->set(1099);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(out->size(), 0u);
  clock->set(1100);
  ASSERT_TRUE(eventually([&] { return out->size() == 2; }));
  auto v = out->values();
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<std::string>{"a@1100", "b@1100"}));
  open_gate->store(1);
  job.wait();
  EXPECT_EQ(job.state(), JobState::finished);
}

TEST(Watermarks, AnIdleSplitStopsHoldingTheWatermarkBack) {
  for (bool with_idleness : {false, true}) {
    SCOPED_TRACE(with_idleness ? "with idleness" : "without idleness");
    auto clock = std::make_shared<ManualClock>(0);
    auto open_gate = std::make_shared<std::atomic<int>>(0);
    StreamEnvironment env;
    env.set_clock(clock);
    auto strategy = WatermarkStrategy<int64_t>::for_monotonous_timestamps();
    if (with_idleness) strategy = strategy.with_idleness(Duration(50));
    auto out = std::make_shared<Collected<std::string>>();
    env.from_source(ScriptedSource({rec(0, 0, 5), rec(1, 0, 5), gate(), rec(0, 0, 100), gate()}, {0, 1}, open_gate),
                    strategy, "in")
        .key_by([](int64_t) { return std::string("k"); })
        .process(EventTimerEcho(10))
        .sink_to(CollectSink<std::string>(out));
    auto job = env.execute_async();
    ASSERT_TRUE(eventually([&] { return job.snapshot().vertices[1].records_in == 2; }));
    clock->set(100);  // split 1 has had nothing for 100 ms
    open_gate->store(1);
    ASSERT_TRUE(eventually([&] { return job.snapshot().vertices[1].records_in == 3; }));
    if (with_idleness) {
      // Split 1 is idle: the watermark follows split 0 (99) and fires k@15.
      ASSERT_TRUE(eventually([&] { return out->size() == 1; }));
      EXPECT_EQ(job.snapshot().vertices[1].watermark, 99);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      EXPECT_EQ(out->size(), 0u);
      EXPECT_EQ(job.snapshot().vertices[1].watermark, 4);
    }
    open_gate->store(2);
    job.wait();
    EXPECT_EQ(out->values(), (std::vector<std::string>{"k@15", "k@110"}));
  }
}

TEST(Watermarks, AFinishedSplitNoLongerHoldsTheWatermark) {
  auto open_gate = std::make_shared<std::atomic<int>>(0);
  StreamEnvironment env;
  auto out = std::make_shared<Collected<std::string>>();
  env.from_source(ScriptedSource({rec(1, 0, 5), rec(0, 0, 50), finish(1), gate()}, {0, 1}, open_gate),
                  WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "in")
      .key_by([](int64_t) { return std::string("k"); })
      .process(EventTimerEcho(10))
      .sink_to(CollectSink<std::string>(out));
  auto job = env.execute_async();
  ASSERT_TRUE(eventually([&] { return out->size() == 1; }));  // k@15 before the end
  open_gate->store(1);
  job.wait();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"k@15", "k@60"}));
}

// Counts a key's records per window; the window of key 0 takes 300 ms to compute.
class SlowForKeyZero final : public ProcessWindowFunction<int64_t, int64_t, int64_t, TimeWindow> {
 public:
  void process(const int64_t& key, Context&, std::span<const int64_t> records, Collector<int64_t>& out) override {
    if (key == 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    out.collect(static_cast<int64_t>(records.size()));
  }
};

class SumOfWindow final : public ProcessWindowFunction<int64_t, std::string, int64_t, TimeWindow> {
 public:
  void process(const int64_t&, Context& ctx, std::span<const int64_t> counts, Collector<std::string>& out) override {
    int64_t sum = 0;
    for (int64_t n : counts) sum += n;
    out.collect(fmt::format("{}={}", ctx.window().start, sum));
  }
};

// Nexmark q5's shape: counts per key in windows at parallelism 2, then one window over
// the counts. When the source's last split finishes it must not turn idle before its
// final watermark: the second window would take the fast subtask's final watermark as
// the whole input's and drop the slow subtask's counts as late.
TEST(Watermarks, TheLastSplitFinishingIsNotIdlenessBeforeTheEnd) {
  std::vector<ScriptStep> script;
  for (int64_t i = 0; i < 80; ++i) script.push_back(rec(0, i % 8, i));  // keys 0..7, ts 0..79
  script.push_back(finish(0));
  StreamEnvironment env;
  env.set_parallelism(2);
  auto out = std::make_shared<Collected<std::string>>();
  env.from_source(ScriptedSource(script, {0}), WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "in")
      .set_parallelism(1)
      .key_by([](int64_t v) { return v; })
      .window(TumblingEventTimeWindows::of(Duration(40)))
      .process(SlowForKeyZero{})
      .key_by([](int64_t) { return int64_t{0}; })
      .window(TumblingEventTimeWindows::of(Duration(40)))
      .process(SumOfWindow{})
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  auto got = out->values();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"0=40", "40=40"}));
}

TEST(Watermarks, AnOperatorTakesTheMinimumOverItsInputChannels) {
  // Two sources: one far ahead in event time, one behind. Timers fire by the slower one.
  StreamEnvironment env;
  env.set_parallelism(2);
  auto out = std::make_shared<Collected<std::string>>();
  auto strategy = WatermarkStrategy<int64_t>::for_monotonous_timestamps();
  std::vector<std::pair<int64_t, Timestamp>> fast = {{0, 1000}};
  std::vector<std::pair<int64_t, Timestamp>> slow = {{0, 1}, {0, 2}};
  auto a = env.from_source(CollectionSource<int64_t>(fast), strategy, "fast").set_parallelism(1);
  auto b = env.from_source(CollectionSource<int64_t>(slow), strategy, "slow").set_parallelism(1);
  a.union_with(b)
      .key_by([](int64_t) { return std::string("k"); })
      .process(EventTimerEcho(0))
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  // Every timer fires, in time order, whatever the interleaving of the two sources.
  EXPECT_EQ(out->values(), (std::vector<std::string>{"k@1", "k@2", "k@1000"}));
}

class CountWithTtl final : public KeyedProcessFunction<std::string, int64_t, std::string> {
 public:
  void open(const SubtaskInfo&) override {
    count_ = get_state(ValueStateDescriptor<int64_t>{"count"}.enable_time_to_live(StateTtlConfig{Duration(100)}));
  }
  void process_element(const int64_t&, Context& ctx, Collector<std::string>& out) override {
    int64_t n = count_.value_or(0) + 1;
    count_.update(n);
    out.collect(ctx.current_key() + "=" + std::to_string(n));
  }

 private:
  ValueState<int64_t> count_;
};

TEST(StateTtl, AnExpiredCountStartsOver) {
  auto clock = std::make_shared<ManualClock>(0);
  auto open_gate = std::make_shared<std::atomic<int>>(0);
  StreamEnvironment env;
  env.set_clock(clock);
  auto out = std::make_shared<Collected<std::string>>();
  env.from_source(ScriptedSource({rec(0, 0, 0), rec(0, 0, 0), gate(), rec(0, 0, 0)}, {0}, open_gate),
                  WatermarkStrategy<int64_t>::no_watermarks(), "in")
      .key_by([](int64_t) { return std::string("u"); })
      .process(CountWithTtl{})
      .sink_to(CollectSink<std::string>(out));
  auto job = env.execute_async();
  ASSERT_TRUE(eventually([&] { return out->size() == 2; }));
  clock->set(150);
  open_gate->store(1);
  job.wait();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"u=1", "u=2", "u=1"}));
}

// Both inputs of a keyed co-process share the key's state: names meet their values
// whichever arrives first.
class JoinNames final : public KeyedCoProcessFunction<int, std::pair<int, std::string>, std::pair<int, int>, std::string> {
 public:
  void open(const SubtaskInfo&) override {
    name_ = get_state(ValueStateDescriptor<std::string>{"name"});
    waiting_ = get_list_state(ListStateDescriptor<int>{"waiting"});
  }
  void process_element1(const std::pair<int, std::string>& n, Context&, Collector<std::string>& out) override {
    name_.update(n.second);
    for (int v : waiting_.get()) out.collect(n.second + ":" + std::to_string(v));
    waiting_.clear();
  }
  void process_element2(const std::pair<int, int>& v, Context&, Collector<std::string>& out) override {
    if (auto name = name_.value()) out.collect(*name + ":" + std::to_string(v.second));
    else waiting_.add(v.second);
  }

 private:
  ValueState<std::string> name_;
  ListState<int> waiting_;
};

TEST(Connect, KeyedCoProcessSharesStateAcrossInputs) {
  StreamEnvironment env;
  env.set_parallelism(3);
  auto out = std::make_shared<Collected<std::string>>();
  auto names = env.from_collection(std::vector<std::pair<int, std::string>>{{1, "one"}, {2, "two"}, {3, "three"}});
  auto values = env.from_collection(std::vector<std::pair<int, int>>{{1, 10}, {2, 20}, {1, 11}, {3, 30}, {4, 40}});
  names.connect(values)
      .key_by([](const std::pair<int, std::string>& n) { return n.first; },
              [](const std::pair<int, int>& v) { return v.first; })
      .process(JoinNames{})
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  auto v = out->values();
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<std::string>{"one:10", "one:11", "three:30", "two:20"}));
}

}  // namespace
}  // namespace sluice
