// Triggers and evictors: count triggers on global windows, purging, the end-of-stream
// trigger, a user-written trigger with per-window state, count triggers on event-time
// windows, count and time evictors before and after the window function.
#include <gtest/gtest.h>

#include "sluice/sluice.h"
#include "window_test_support.h"

namespace sluice {
namespace {

using testing::Event;
using testing::event_source;
using testing::events_out_of_order;
using testing::SumWindow;
using testing::WindowResult;
using testing::texts;

std::vector<Event> ones_to_seven() {
  std::vector<Event> v;
  for (int i = 1; i <= 7; ++i) v.push_back({"a", i, i});
  return v;
}

Event add_values(const Event& a, const Event& b) { return {a.key, a.value + b.value, a.ts}; }

std::vector<int64_t> values_of(const Collected<Event>& c) {
  std::vector<int64_t> v;
  for (auto& e : c.values()) v.push_back(e.value);
  return v;
}

template <class Configure>
std::vector<int64_t> run_global(Configure configure, std::vector<Event> input = ones_to_seven()) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  auto windowed = env.from_source(event_source(input), events_out_of_order(Duration(0)), "events")
                      .key_by([](const Event& e) { return e.key; })
                      .window(GlobalWindows::create());
  configure(windowed).reduce(add_values).sink_to(CollectSink<Event>(out));
  env.execute();
  return values_of(*out);
}

TEST(GlobalWindows, ACountTriggerFiresEveryNRecordsKeepingTheContents) {
  // Fires after 1+2+3 and after 1+..+6; record 7 never fires (the default end does not).
  auto v = run_global([](auto w) { return w.trigger(CountTrigger::of(3)); });
  EXPECT_EQ(v, (std::vector<int64_t>{6, 21}));
}

TEST(GlobalWindows, APurgingCountTriggerStartsEachCountAfresh) {
  auto v = run_global([](auto w) { return w.trigger(PurgingTrigger::of(CountTrigger::of(3))); });
  EXPECT_EQ(v, (std::vector<int64_t>{6, 15}));
}

TEST(GlobalWindows, WithoutATriggerNothingFires) {
  EXPECT_TRUE(run_global([](auto w) { return w; }).empty());
}

TEST(GlobalWindows, TheEndOfStreamTriggerFiresOnceAtTheEnd) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  env.from_source(event_source(ones_to_seven()), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(GlobalWindows::create_with_end_of_stream_trigger())
      .reduce(add_values)
      .sink_to(CollectSink<Event>(out));
  env.execute();
  EXPECT_EQ(values_of(*out), (std::vector<int64_t>{28}));
  EXPECT_EQ(out->timestamps(), (std::vector<Timestamp>{kMaxTimestamp}));
}

// Fires early every second record of a window (counting in per-window trigger state) and
// once more when the watermark passes the window's end.
class EverySecondAndAtTheEnd final : public Trigger<Event, TimeWindow> {
 public:
  TriggerResult on_element(const Event&, Timestamp, const TimeWindow& window, TriggerContext& ctx) override {
    ctx.register_event_time_timer(window.max_timestamp());
    auto seen = ctx.get_state(ValueStateDescriptor<int64_t>{"seen"});
    int64_t n = seen.value_or(0) + 1;
    seen.update(n);
    return n % 2 == 0 ? TriggerResult::FIRE : TriggerResult::CONTINUE;
  }
  TriggerResult on_event_time(Timestamp time, const TimeWindow& window, TriggerContext&) override {
    return time == window.max_timestamp() ? TriggerResult::FIRE : TriggerResult::CONTINUE;
  }
  TriggerResult on_processing_time(Timestamp, const TimeWindow&, TriggerContext&) override {
    return TriggerResult::CONTINUE;
  }
  void clear(const TimeWindow& window, TriggerContext& ctx) override {
    ctx.delete_event_time_timer(window.max_timestamp());
    ctx.get_state(ValueStateDescriptor<int64_t>{"seen"}).clear();
  }
};

TEST(Triggers, AUserTriggerWithPerWindowState) {
  // Tumbling 10, bound 0 (watermark t - 1).
  std::vector<Event> input = {
      {"a", 1, 1}, {"b", 10, 2}, {"a", 2, 3},  // a's second record: early firing a=3
      {"a", 3, 4}, {"b", 20, 5},               // b's second: b=30
      {"a", 4, 12},                            // watermark 11: [0, 10) fires a=6, b=30
      {"a", 5, 13},                            // a's second in [10, 20): a=9; the end: a=9
  };
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source(input), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .trigger(EverySecondAndAtTheEnd{})
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:0-10=3", "b:0-10=30", "a:0-10=6", "b:0-10=30",
                                                            "a:10-20=9", "a:10-20=9"}));
}

TEST(Triggers, ACountTriggerOnEventTimeWindowsDropsAnUnfiredRemainderAtCleanup) {
  // Tumbling 10 with CountTrigger(2): [0, 10) fires at its 2nd record (1+2) and keeps
  // counting; its 3rd record is dropped with the window when the watermark passes 9.
  std::vector<Event> input = {{"a", 1, 1}, {"a", 2, 2}, {"a", 3, 3}, {"a", 4, 15}, {"a", 5, 16}};
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source(input), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .trigger(CountTrigger::of(2))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:0-10=3", "a:10-20=9"}));
}

TEST(Evictors, ACountEvictorKeepsTheLastNBeforeTheFunction) {
  // CountTrigger(3): fires over [1,2,3] -> evicts to [2,3] = 5; then [2,3,4,5,6] -> [5,6] = 11.
  auto v = run_global([](auto w) { return w.trigger(CountTrigger::of(3)).evictor(CountEvictor::of(2)); });
  EXPECT_EQ(v, (std::vector<int64_t>{5, 11}));
}

TEST(Evictors, ACountEvictorAfterTheFunctionTrimsWhatIsKept) {
  // CountTrigger(2): [1,2] = 3, keeps [2]; [2,3,4] = 9, keeps [4]; 5, 6 -> [4,5,6] = 15.
  auto v = run_global([](auto w) { return w.trigger(CountTrigger::of(2)).evictor(CountEvictor::of(1, true)); });
  EXPECT_EQ(v, (std::vector<int64_t>{3, 9, 15}));
}

TEST(Evictors, ATimeEvictorKeepsRecordsNearTheNewest) {
  // Tumbling 20, all in [0, 20): newest 12, TimeEvictor(5) keeps timestamps > 7: 3 + 4.
  std::vector<Event> input = {{"a", 1, 1}, {"a", 2, 4}, {"a", 3, 8}, {"a", 4, 12}, {"a", 100, 25}};
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source(input), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(20)))
      .evictor(TimeEvictor::of(Duration(5)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:0-20=7", "a:20-40=100"}));
}

TEST(Evictors, AnEvictorWithAReduceReducesWhatIsLeft) {
  std::vector<Event> input = {{"a", 1, 1}, {"a", 2, 4}, {"a", 3, 8}, {"a", 4, 12}};
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  env.from_source(event_source(input), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(20)))
      .evictor(CountEvictor::of(2))
      .reduce(add_values)
      .sink_to(CollectSink<Event>(out));
  env.execute();
  EXPECT_EQ(values_of(*out), (std::vector<int64_t>{7}));
}

TEST(Triggers, TheOperatorIsNamedAfterAssignerTriggerAndFunction) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  env.from_source(event_source(ones_to_seven()), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .trigger(PurgingTrigger::of(CountTrigger::of(3)))
      .evictor(CountEvictor::of(2))
      .reduce(add_values)
      .sink_to(CollectSink<Event>(out));
  EXPECT_EQ(env.graph().nodes[1].name,
            "Window(TumblingEventTimeWindows(10), PurgingTrigger(CountTrigger(3)), CountEvictor(2), reduce)");
}

}  // namespace
}  // namespace sluice
