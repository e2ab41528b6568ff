// Processing-time windows driven by a ManualClock (tumbling, sliding, sessions), firing when
// the clock passes their end and at the end of a bounded input; window_all; and event-time
// windows fed by a source whose second split goes idle.
#include <gtest/gtest.h>

#include "sluice/sluice.h"
#include "window_test_support.h"

namespace sluice {
namespace {

using testing::emit;
using testing::Event;
using testing::events_out_of_order;
using testing::eventually_true;
using testing::Step;
using testing::StepSource;
using testing::SumWindow;
using testing::wait_gate;
using testing::window_records_in;
using testing::WindowResult;
using testing::texts;

// The clock moves only between records that the window operator has already taken in, so
// every record's processing time is known exactly.
TEST(TumblingProcessingTimeWindows, FireWhenTheClockPassesTheirEndAndAtTheEndOfInput) {
  auto clock = std::make_shared<ManualClock>(1000);
  auto gate = std::make_shared<std::atomic<int>>(0);
  StreamEnvironment env;
  env.set_clock(clock);
  auto out = std::make_shared<Collected<WindowResult>>();
  std::vector<Step<Event>> steps = {emit(Event{"a", 1}), emit(Event{"b", 2}), wait_gate<Event>(),
                                    emit(Event{"a", 3}), wait_gate<Event>(),  emit(Event{"a", 4})};
  env.from_source(StepSource<Event>(steps, {0}, gate), WatermarkStrategy<Event>::no_watermarks(), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingProcessingTimeWindows::of(Duration(10)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  auto job = env.execute_async();
  ASSERT_TRUE(eventually_true([&] { return window_records_in(job) == 2; }));  // a1, b2 at 1000
  clock->set(1005);
  gate->store(1);
  ASSERT_TRUE(eventually_true([&] { return window_records_in(job) == 3; }));  // a3 at 1005
  EXPECT_EQ(out->size(), 0u);
  clock->set(1010);  // [1000, 1010) is over
  ASSERT_TRUE(eventually_true([&] { return out->size() == 2; }));
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:1000-1010=4", "b:1000-1010=2"}));
  gate->store(2);  // a4 at 1010, then the input ends: [1010, 1020) fires at once
  job.wait();
  EXPECT_EQ(texts(out->values()),
            (std::vector<std::string>{"a:1000-1010=4", "b:1000-1010=2", "a:1010-1020=4"}));
  EXPECT_EQ(out->timestamps(), (std::vector<Timestamp>{1009, 1009, 1019}));
}

TEST(SlidingProcessingTimeWindows, TheEndOfInputFiresEveryOpenWindow) {
  // At 1002, size 10 and slide 5 give [1000, 1010) and [995, 1005).
  auto clock = std::make_shared<ManualClock>(1002);
  StreamEnvironment env;
  env.set_clock(clock);
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(StepSource<Event>({emit(Event{"a", 1}), emit(Event{"a", 2})}),
                  WatermarkStrategy<Event>::no_watermarks(), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(SlidingProcessingTimeWindows::of(Duration(10), Duration(5)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:995-1005=3", "a:1000-1010=3"}));
}

TEST(ProcessingTimeSessionWindows, SessionsMergeAndCloseAfterTheGap) {
  auto clock = std::make_shared<ManualClock>(1000);
  auto gate = std::make_shared<std::atomic<int>>(0);
  StreamEnvironment env;
  env.set_clock(clock);
  auto out = std::make_shared<Collected<WindowResult>>();
  std::vector<Step<Event>> steps = {emit(Event{"a", 1}), wait_gate<Event>(), emit(Event{"a", 2}),
                                    wait_gate<Event>(), emit(Event{"a", 4})};
  env.from_source(StepSource<Event>(steps, {0}, gate), WatermarkStrategy<Event>::no_watermarks(), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(ProcessingTimeSessionWindows::with_gap(Duration(10)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  auto job = env.execute_async();
  ASSERT_TRUE(eventually_true([&] { return window_records_in(job) == 1; }));  // [1000, 1010)
  clock->set(1005);
  gate->store(1);
  ASSERT_TRUE(eventually_true([&] { return window_records_in(job) == 2; }));  // [1005, 1015): [1000, 1015)
  clock->set(1012);  // the first session would have closed at 1010 without the second record
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(out->size(), 0u);
  clock->set(1015);
  ASSERT_TRUE(eventually_true([&] { return out->size() == 1; }));
  gate->store(2);  // [1015, 1025), fired by the end of input
  job.wait();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:1000-1015=3", "a:1015-1025=4"}));
}

// The sum of all records of a window, whatever their key.
class SumAll final : public ProcessAllWindowFunction<Event, std::string, TimeWindow> {
 public:
  void process(Context& ctx, std::span<const Event> elements, Collector<std::string>& out) override {
    int64_t sum = 0;
    for (auto& e : elements) sum += e.value;
    out.collect(fmt::format("[{},{})={} of {}", ctx.window().start, ctx.window().end, sum, elements.size()));
  }
};

TEST(WindowAll, OneSubtaskSeesEveryKeyEvenAtParallelismFour) {
  std::vector<Event> input;
  for (int i = 0; i < 100; ++i) input.push_back({"k" + std::to_string(i % 7), i, i});
  StreamEnvironment env;
  env.set_parallelism(4);
  auto out = std::make_shared<Collected<std::string>>();
  auto sums = std::make_shared<Collected<Event>>();
  auto events = env.from_collection(input, events_out_of_order(Duration(0)));
  // [0, 50): 0+..+49 = 1225 over 50 records; [50, 100): 50+..+99 = 3725.
  events.window_all(TumblingEventTimeWindows::of(Duration(50)))
      .process(SumAll{})
      .sink_to(CollectSink<std::string>(out))
      .set_parallelism(1);
  events.window_all(TumblingEventTimeWindows::of(Duration(50)))
      .sum(&Event::value)
      .sink_to(CollectSink<Event>(sums))
      .set_parallelism(1);
  env.execute();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"[0,50)=1225 of 50", "[50,100)=3725 of 50"}));
  std::vector<int64_t> v;
  for (auto& e : sums->values()) v.push_back(e.value);
  EXPECT_EQ(v, (std::vector<int64_t>{1225, 3725}));
  for (auto& node : env.graph().nodes)
    if (node.kind == "window") {
      EXPECT_EQ(node.parallelism, 1);
    }
}

TEST(WindowAll, ACountTriggerOverTheWholeStream) {
  std::vector<Event> input;
  for (int i = 1; i <= 10; ++i) input.push_back({"k" + std::to_string(i % 3), i, i});
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  env.from_collection(input, events_out_of_order(Duration(0)))
      .window_all(GlobalWindows::create())
      .trigger(PurgingTrigger::of(CountTrigger::of(4)))
      .reduce([](const Event& a, const Event& b) { return Event{"all", a.value + b.value, 0}; })
      .sink_to(CollectSink<Event>(out));
  env.execute();
  std::vector<int64_t> v;
  for (auto& e : out->values()) v.push_back(e.value);
  EXPECT_EQ(v, (std::vector<int64_t>{1 + 2 + 3 + 4, 5 + 6 + 7 + 8}));
}

TEST(IdleSplits, WindowsFireFromTheActiveSplitWhenTheOtherGoesIdle) {
  for (bool with_idleness : {false, true}) {
    SCOPED_TRACE(with_idleness ? "with idleness" : "without idleness");
    auto clock = std::make_shared<ManualClock>(0);
    auto gate = std::make_shared<std::atomic<int>>(0);
    StreamEnvironment env;
    env.set_clock(clock);
    auto strategy = events_out_of_order(Duration(0));
    if (with_idleness) strategy = strategy.with_idleness(Duration(50));
    std::vector<Step<Event>> steps = {emit(Event{"a", 1, 5}, 5, 0), emit(Event{"a", 2, 6}, 6, 1), wait_gate<Event>(),
                                      emit(Event{"a", 3, 25}, 25, 0), wait_gate<Event>()};
    auto out = std::make_shared<Collected<WindowResult>>();
    env.from_source(StepSource<Event>(steps, {0, 1}, gate), strategy, "events")
        .key_by([](const Event& e) { return e.key; })
        .window(TumblingEventTimeWindows::of(Duration(10)))
        .process(SumWindow{})
        .sink_to(CollectSink<WindowResult>(out));
    auto job = env.execute_async();
    ASSERT_TRUE(eventually_true([&] { return window_records_in(job) == 2; }));
    clock->set(100);  // split 1 has had nothing for 100 ms
    gate->store(1);
    ASSERT_TRUE(eventually_true([&] { return window_records_in(job) == 3; }));
    if (with_idleness) {
      // The watermark follows split 0 alone (24): [0, 10) fires while the job runs.
      ASSERT_TRUE(eventually_true([&] { return out->size() == 1; }));
    } else {
      // Split 1 holds the watermark at 5: nothing fires before the end.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      EXPECT_EQ(out->size(), 0u);
    }
    gate->store(2);
    job.wait();
    EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:0-10=3", "a:20-30=3"}));
  }
}

}  // namespace
}  // namespace sluice
