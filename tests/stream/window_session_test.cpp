// Event-time session windows: merging as records arrive out of order, a record that bridges
// two sessions, merged accumulators (reduce, aggregate), a count trigger's state merged
// across sessions, and late records.
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

// Gap 10, bound 5: the watermark after the largest timestamp t is t - 6.
const std::vector<Event> kSessions = {
    {"a", 1, 0},    // [0, 10)
    {"a", 2, 4},    // [4, 14) merges: [0, 14)
    {"a", 3, 30},   // [30, 40); watermark 24: [0, 14) fires 1+2
    {"a", 4, 22},   // [22, 32) merges with [30, 40): [22, 40)
    {"a", 5, 45},   // [45, 55); watermark 39: [22, 40) fires 3+4
    {"a", 6, 5},    // [5, 15) ended at 14 <= 39: late
    {"a", 7, 60},   // watermark 54: [45, 55) fires 5
    {"a", 8, 80},   // watermark 74: [60, 70) fires 7
    {"a", 9, 100},  // watermark 94: [80, 90) fires 8; the end fires [100, 110)
};

TEST(EventTimeSessionWindows, SessionsMergeAndFireWhenTheWatermarkPassesTheirEnd) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  auto late = std::make_shared<Collected<Event>>();
  OutputTag<Event> late_tag("late");
  auto result = env.from_source(event_source(kSessions), events_out_of_order(Duration(5)), "events")
                    .key_by([](const Event& e) { return e.key; })
                    .window(EventTimeSessionWindows::with_gap(Duration(10)))
                    .side_output_late_data(late_tag)
                    .process(SumWindow{});
  result.sink_to(CollectSink<WindowResult>(out));
  result.side_output(late_tag).sink_to(CollectSink<Event>(late));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:0-14=3", "a:22-40=7", "a:45-55=5", "a:60-70=7",
                                                            "a:80-90=8", "a:100-110=9"}));
  EXPECT_EQ(out->timestamps(), (std::vector<Timestamp>{13, 39, 54, 69, 89, 109}));
  ASSERT_EQ(late->size(), 1u);
  EXPECT_EQ(late->values()[0].value, 6);
  EXPECT_EQ(late->timestamps()[0], 5);
}

// Gap 10, bound 50: nothing fires before (b, 4, 100).
const std::vector<Event> kBridge = {
    {"b", 1, 0},    // [0, 10)
    {"c", 100, 3},  // another key's session, untouched by b's
    {"b", 2, 20},   // [20, 30): a second session of b
    {"b", 3, 10},   // [10, 20) touches both: one session [0, 30)
    {"b", 4, 100},  // watermark 49: b's [0, 30) and c's [3, 13) fire
};

TEST(EventTimeSessionWindows, ARecordBridgingTwoSessionsMergesThemIntoOne) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source(kBridge), events_out_of_order(Duration(50)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(EventTimeSessionWindows::with_gap(Duration(10)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"c:3-13=100", "b:0-30=6", "b:100-110=4"}));
}

TEST(EventTimeSessionWindows, ReducedValuesOfMergedSessionsAreReducedTogether) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  env.from_source(event_source(kBridge), events_out_of_order(Duration(50)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(EventTimeSessionWindows::with_gap(Duration(10)))
      .reduce([](const Event& a, const Event& b) { return Event{a.key, a.value + b.value, a.ts}; })
      .sink_to(CollectSink<Event>(out));
  env.execute();
  EXPECT_EQ(texts(out->values(), [](const Event& e) { return e.key + "=" + std::to_string(e.value); }),
            (std::vector<std::string>{"c=100", "b=6", "b=4"}));
  EXPECT_EQ(out->timestamps(), (std::vector<Timestamp>{12, 29, 109}));
}

struct CountAndSum final : AggregateFunction<Event, std::pair<int64_t, int64_t>, std::string> {
  std::pair<int64_t, int64_t> create_accumulator() const override { return {0, 0}; }
  void add(const Event& e, std::pair<int64_t, int64_t>& acc) const override {
    acc.first += 1;
    acc.second += e.value;
  }
  std::string get_result(const std::pair<int64_t, int64_t>& acc) const override {
    return std::to_string(acc.first) + " records, sum " + std::to_string(acc.second);
  }
  std::pair<int64_t, int64_t> merge(std::pair<int64_t, int64_t> a, const std::pair<int64_t, int64_t>& b) const override {
    return {a.first + b.first, a.second + b.second};
  }
};

TEST(EventTimeSessionWindows, AccumulatorsOfMergedSessionsAreMerged) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<std::string>>();
  env.from_source(event_source(kBridge), events_out_of_order(Duration(50)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(EventTimeSessionWindows::with_gap(Duration(10)))
      .aggregate(CountAndSum{})
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"1 records, sum 100", "3 records, sum 6", "1 records, sum 4"}));
}

TEST(EventTimeSessionWindows, ACountTriggersCountsAreMergedWithTheSessions) {
  // b: [0, 10) counts 1, [20, 30) counts 1; the bridge merges them (count 2) and adds the
  // third record: count 3 fires [0, 30). A count trigger never fires on time, so the rest
  // (c's and b's last session, one record each) is dropped at cleanup, as in Flink.
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source(kBridge), events_out_of_order(Duration(50)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(EventTimeSessionWindows::with_gap(Duration(10)))
      .trigger(CountTrigger::of(3))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"b:0-30=6"}));
}

TEST(EventTimeSessionWindows, AllowedLatenessRefiresAMergedSession) {
  // Gap 10, bound 0 (watermark t - 1), lateness 20.
  std::vector<Event> input = {
      {"a", 1, 0},   // [0, 10)
      {"a", 2, 15},  // [15, 25); watermark 14: [0, 10) fires 1 (cleanup at 9 + 20 = 29)
      {"a", 3, 8},   // [8, 18) bridges [0, 10) and [15, 25): [0, 25) ends after the
                     // watermark, so it waits for it: nothing fires yet
      {"a", 4, 40},  // watermark 39: [0, 25) fires 1+2+3; its cleanup at 44 is pending
      {"a", 5, 20},  // [20, 30) merges into [0, 30): a late firing with 1+2+3+5
  };
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source(input), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(EventTimeSessionWindows::with_gap(Duration(10)))
      .allowed_lateness(Duration(20))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()),
            (std::vector<std::string>{"a:0-10=1", "a:0-25=6", "a:0-30=11", "a:40-50=4"}));
}

}  // namespace
}  // namespace sluice
