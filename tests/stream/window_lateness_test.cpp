// Allowed lateness: late records within it update their window and fire it again; after it,
// records are dropped or go to the late side output; per-window state survives late
// firings and is cleared with the window.
#include <gtest/gtest.h>

#include "sluice/sluice.h"
#include "window_test_support.h"

namespace sluice {
namespace {

using testing::Event;
using testing::event_source;
using testing::events_out_of_order;
using testing::texts;

// Tumbling 10, bound 0 (the watermark after t is t - 1), allowed lateness 5: [0, 10) fires
// when the watermark reaches 9 and is cleaned up when it reaches 14.
const std::vector<Event> kInput = {
    {"a", 1, 1},
    {"a", 2, 12},  // watermark 11: [0, 10) fires a=1
    {"a", 3, 5},   // late but within the lateness: fires again, a=4
    {"a", 4, 8},   // again: a=8
    {"a", 5, 16},  // watermark 15: [0, 10) is cleaned up
    {"a", 6, 3},   // too late: 3 + 5 <= 15
    {"a", 7, 19},  // watermark 18
    {"a", 8, 9},   // too late: 9 + 5 <= 18
    // the end: [10, 20) fires a=2+5+7
};

std::string value_text(const Event& e) { return e.key + "=" + std::to_string(e.value); }
Event add_values(const Event& a, const Event& b) { return {a.key, a.value + b.value, a.ts}; }

TEST(AllowedLateness, LateRecordsWithinItFireTheWindowAgainWithTheUpdatedResult) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  auto late = std::make_shared<Collected<Event>>();
  OutputTag<Event> late_tag("late");
  auto result = env.from_source(event_source(kInput), events_out_of_order(Duration(0)), "events")
                    .key_by([](const Event& e) { return e.key; })
                    .window(TumblingEventTimeWindows::of(Duration(10)))
                    .allowed_lateness(Duration(5))
                    .side_output_late_data(late_tag)
                    .reduce(add_values);
  result.sink_to(CollectSink<Event>(out));
  result.side_output(late_tag).sink_to(CollectSink<Event>(late));
  env.execute();
  EXPECT_EQ(texts(out->values(), value_text), (std::vector<std::string>{"a=1", "a=4", "a=8", "a=14"}));
  EXPECT_EQ(out->timestamps(), (std::vector<Timestamp>{9, 9, 9, 19}));
  EXPECT_EQ(texts(late->values(), value_text), (std::vector<std::string>{"a=6", "a=8"}));
  EXPECT_EQ(late->timestamps(), (std::vector<Timestamp>{3, 9}));
}

TEST(AllowedLateness, WithoutASideOutputTooLateRecordsAreDropped) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  env.from_source(event_source(kInput), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .allowed_lateness(Duration(5))
      .reduce(add_values)
      .sink_to(CollectSink<Event>(out));
  env.execute();
  EXPECT_EQ(texts(out->values(), value_text), (std::vector<std::string>{"a=1", "a=4", "a=8", "a=14"}));
}

TEST(AllowedLateness, WithNoLatenessEveryLateRecordGoesToTheSideOutput) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  auto late = std::make_shared<Collected<Event>>();
  OutputTag<Event> late_tag("late");
  auto result = env.from_source(event_source(kInput), events_out_of_order(Duration(0)), "events")
                    .key_by([](const Event& e) { return e.key; })
                    .window(TumblingEventTimeWindows::of(Duration(10)))
                    .side_output_late_data(late_tag)
                    .reduce(add_values);
  result.sink_to(CollectSink<Event>(out));
  result.side_output(late_tag).sink_to(CollectSink<Event>(late));
  env.execute();
  EXPECT_EQ(texts(out->values(), value_text), (std::vector<std::string>{"a=1", "a=14"}));
  EXPECT_EQ(texts(late->values(), value_text), (std::vector<std::string>{"a=3", "a=4", "a=6", "a=8"}));
}

// Reports each firing as "key window #firing of the window / #firing of the key: sum",
// counting in window state and global state; clear() drops the window's count.
class CountFirings final : public ProcessWindowFunction<Event, std::string, std::string, TimeWindow> {
 public:
  void process(const std::string& key, Context& ctx, std::span<const Event> elements,
               Collector<std::string>& out) override {
    auto per_window = ctx.window_state().get_state(ValueStateDescriptor<int64_t>{"firings"});
    auto per_key = ctx.global_state().get_state(ValueStateDescriptor<int64_t>{"firings"});
    per_window.update(per_window.value_or(0) + 1);
    per_key.update(per_key.value_or(0) + 1);
    int64_t sum = 0;
    for (auto& e : elements) sum += e.value;
    out.collect(fmt::format("{} [{},{}) #{}/{}: {}", key, ctx.window().start, ctx.window().end,
                            *per_window.value(), *per_key.value(), sum));
  }
  void clear(Context& ctx) override {
    ctx.window_state().get_state(ValueStateDescriptor<int64_t>{"firings"}).clear();
    ctx.output(cleared_tag(), fmt::format("cleared [{},{})", ctx.window().start, ctx.window().end));
  }
  static const OutputTag<std::string>& cleared_tag() {
    static OutputTag<std::string> tag("cleared");
    return tag;
  }
};

TEST(AllowedLateness, WindowStateLastsAcrossLateFiringsUntilCleanup) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<std::string>>();
  auto cleared = std::make_shared<Collected<std::string>>();
  auto result = env.from_source(event_source(kInput), events_out_of_order(Duration(0)), "events")
                    .key_by([](const Event& e) { return e.key; })
                    .window(TumblingEventTimeWindows::of(Duration(10)))
                    .allowed_lateness(Duration(5))
                    .process(CountFirings{});
  result.sink_to(CollectSink<std::string>(out));
  result.side_output(CountFirings::cleared_tag()).sink_to(CollectSink<std::string>(cleared));
  env.execute();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"a [0,10) #1/1: 1", "a [0,10) #2/2: 4", "a [0,10) #3/3: 8",
                                                     "a [10,20) #1/4: 14"}));
  EXPECT_EQ(cleared->values(), (std::vector<std::string>{"cleared [0,10)", "cleared [10,20)"}));
  EXPECT_EQ(cleared->timestamps(), (std::vector<Timestamp>{9, 19}));
}

}  // namespace
}  // namespace sluice
