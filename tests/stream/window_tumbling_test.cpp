// Tumbling and sliding event-time windows with reduce, aggregate and process, against
// results worked out by hand: out-of-order records, late records, result timestamps,
// offsets, and parallelism 1 vs 4.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "sluice/generator_source.h"
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

std::string event_text(const Event& e) { return e.key + "=" + std::to_string(e.value); }

// Bound 2 ms: the watermark after a record with the largest timestamp t is t - 3.
const std::vector<Event> kInput = {
    {"a", 1, 1},
    {"b", 2, 3},
    {"a", 3, 8},
    {"a", 4, 12},  // watermark 9: [0, 10) fires: a=1+3, b=2
    {"a", 5, 7},   // late for [0, 10): dropped
    {"b", 6, 11},  // out of order but on time for [10, 20)
    {"a", 7, 25},  // watermark 22: [10, 20) fires: a=4, b=6
    {"b", 8, 21},
    // end of input: the final watermark fires [20, 30): a=7, b=8
};

TEST(TumblingEventTimeWindows, ReduceSumsEachKeysWindowAndDropsLateRecords) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<Event>>();
  env.from_source(event_source(kInput), events_out_of_order(Duration(2)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .reduce([](const Event& a, const Event& b) { return Event{a.key, a.value + b.value, a.ts}; })
      .sink_to(CollectSink<Event>(out));
  env.execute();
  EXPECT_EQ(texts(out->values(), event_text),
            (std::vector<std::string>{"a=4", "b=2", "a=4", "b=6", "a=7", "b=8"}));
  // Results carry their window's max_timestamp().
  EXPECT_EQ(out->timestamps(), (std::vector<Timestamp>{9, 9, 19, 19, 29, 29}));
}

TEST(TumblingEventTimeWindows, SumMinAndMaxOfPlainNumbers) {
  // Values 1..9 at timestamps 1..9, keyed odd/even, windows of 5: [0,5) and [5,10).
  std::vector<std::pair<int64_t, Timestamp>> input;
  for (int64_t v = 1; v <= 9; ++v) input.emplace_back(v, v);
  auto run = [&](auto aggregate) {
    StreamEnvironment env;
    auto out = std::make_shared<Collected<int64_t>>();
    aggregate(env.from_source(CollectionSource<int64_t>(input), WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "n")
                  .key_by([](int64_t v) { return v % 2; })
                  .window(TumblingEventTimeWindows::of(Duration(5))))
        .sink_to(CollectSink<int64_t>(out));
    env.execute();
    auto v = out->values();
    std::sort(v.begin(), v.end());
    return v;
  };
  // Odd: {1,3} {5,7,9}; even: {2,4} {6,8}.
  EXPECT_EQ(run([](auto w) { return w.sum(); }), (std::vector<int64_t>{4, 6, 14, 21}));
  EXPECT_EQ(run([](auto w) { return w.min(); }), (std::vector<int64_t>{1, 2, 5, 6}));
  EXPECT_EQ(run([](auto w) { return w.max(); }), (std::vector<int64_t>{3, 4, 8, 9}));
}

TEST(TumblingEventTimeWindows, ProcessSeesTheWindowAndEveryRecord) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source(kInput), events_out_of_order(Duration(2)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:0-10=4", "b:0-10=2", "a:10-20=4", "b:10-20=6",
                                                            "a:20-30=7", "b:20-30=8"}));
}

// Average of values as "sum/count", with merge (unused by tumbling windows).
struct Average final : AggregateFunction<Event, std::pair<int64_t, int64_t>, std::string> {
  std::pair<int64_t, int64_t> create_accumulator() const override { return {0, 0}; }
  void add(const Event& e, std::pair<int64_t, int64_t>& acc) const override {
    acc.first += e.value;
    acc.second += 1;
  }
  std::string get_result(const std::pair<int64_t, int64_t>& acc) const override {
    return std::to_string(acc.first) + "/" + std::to_string(acc.second);
  }
  std::pair<int64_t, int64_t> merge(std::pair<int64_t, int64_t> a, const std::pair<int64_t, int64_t>& b) const override {
    return {a.first + b.first, a.second + b.second};
  }
};

TEST(TumblingEventTimeWindows, AggregateKeepsOneAccumulator) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<std::string>>();
  env.from_source(event_source(kInput), events_out_of_order(Duration(2)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .aggregate(Average{})
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"4/2", "2/1", "4/1", "6/1", "7/1", "8/1"}));
}

// The aggregate's result with the window's key and bounds.
class LabelAverage final : public ProcessWindowFunction<std::string, std::string, std::string, TimeWindow> {
 public:
  void process(const std::string& key, Context& ctx, std::span<const std::string> avg,
               Collector<std::string>& out) override {
    ASSERT_EQ(avg.size(), 1u);
    out.collect(fmt::format("{}[{},{})={}", key, ctx.window().start, ctx.window().end, avg[0]));
  }
};

TEST(TumblingEventTimeWindows, AggregateWithAWindowFunction) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<std::string>>();
  env.from_source(event_source(kInput), events_out_of_order(Duration(2)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .aggregate(Average{}, LabelAverage{})
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"a[0,10)=4/2", "b[0,10)=2/1", "a[10,20)=4/1", "b[10,20)=6/1",
                                                     "a[20,30)=7/1", "b[20,30)=8/1"}));
}

// The reduced event with the window's end.
class EndOfWindow final : public ProcessWindowFunction<Event, std::string, std::string, TimeWindow> {
 public:
  void process(const std::string& key, Context& ctx, std::span<const Event> reduced,
               Collector<std::string>& out) override {
    out.collect(fmt::format("{}<{}={}", key, ctx.window().end, reduced[0].value));
  }
};

TEST(TumblingEventTimeWindows, ReduceWithAWindowFunction) {
  StreamEnvironment env;
  auto out = std::make_shared<Collected<std::string>>();
  env.from_source(event_source(kInput), events_out_of_order(Duration(2)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10)))
      .reduce([](const Event& a, const Event& b) { return Event{a.key, a.value + b.value, a.ts}; }, EndOfWindow{})
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  EXPECT_EQ(out->values(), (std::vector<std::string>{"a<10=4", "b<10=2", "a<20=4", "b<20=6", "a<30=7", "b<30=8"}));
}

TEST(TumblingEventTimeWindows, AnOffsetShiftsTheWindows) {
  // Size 10, offset 3: windows [-7, 3), [3, 13), [13, 23), ...
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source({{"a", 1, 2}, {"a", 2, 3}, {"a", 4, 12}, {"a", 8, 13}, {"a", 16, -1}}),
                  events_out_of_order(Duration(100)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(TumblingEventTimeWindows::of(Duration(10), Duration(3)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()), (std::vector<std::string>{"a:-7-3=17", "a:3-13=6", "a:13-23=8"}));
}

TEST(SlidingEventTimeWindows, EachRecordCountsInSizeOverSlideWindows) {
  // Size 10, slide 5. Windows holding t: [t/5*5 - 5, +10) and [t/5*5, +10).
  // Bound 0: the watermark after t is t - 1.
  std::vector<Event> input = {
      {"a", 1, 1},   // [-5, 5), [0, 10)
      {"a", 2, 6},   // [0, 10), [5, 15); watermark 5: [-5, 5) fires: 1
      {"a", 4, 12},  // [5, 15), [10, 20); watermark 11: [0, 10) fires: 1+2
      {"a", 8, 3},   // late for [-5, 5) and [0, 10): dropped
      {"a", 16, 14}, // [5, 15), [10, 20)
      // end: [5, 15) = 2+4+16, [10, 20) = 4+16
  };
  StreamEnvironment env;
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_source(event_source(input), events_out_of_order(Duration(0)), "events")
      .key_by([](const Event& e) { return e.key; })
      .window(SlidingEventTimeWindows::of(Duration(10), Duration(5)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  EXPECT_EQ(texts(out->values()),
            (std::vector<std::string>{"a:-5-5=1", "a:0-10=3", "a:5-15=22", "a:10-20=20"}));
}

std::vector<std::string> run_sliding_counts(int parallelism) {
  // 40 keys, timestamps spread over 0..999 with disorder up to 50 ms.
  std::vector<Event> input;
  for (int i = 0; i < 2000; ++i) {
    Timestamp ts = i / 2 + (i % 7) * 7;
    input.push_back({"k" + std::to_string(i % 40), 1, ts});
  }
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto out = std::make_shared<Collected<WindowResult>>();
  env.from_collection(input, events_out_of_order(Duration(50)))
      .key_by([](const Event& e) { return e.key; })
      .window(SlidingEventTimeWindows::of(Duration(100), Duration(25)))
      .process(SumWindow{})
      .sink_to(CollectSink<WindowResult>(out));
  env.execute();
  return testing::sorted(texts(out->values()));
}

TEST(SlidingEventTimeWindows, ParallelismOneAndFourGiveTheSameResults) {
  // Reference: every record counts in the 4 windows [s, s+100) with s = 25k, s <= ts < s+100.
  std::map<std::string, int64_t> counts;
  for (int i = 0; i < 2000; ++i) {
    Timestamp ts = i / 2 + (i % 7) * 7;
    std::string key = "k" + std::to_string(i % 40);
    for (Timestamp s = ts / 25 * 25; s > ts - 100; s -= 25)
      counts[fmt::format("{}:{}-{}", key, s, s + 100)] += 1;
  }
  std::vector<std::string> expected;
  for (auto& [k, n] : counts) expected.push_back(k + "=" + std::to_string(n));
  std::sort(expected.begin(), expected.end());
  auto p1 = run_sliding_counts(1);
  EXPECT_EQ(p1, expected);
  EXPECT_EQ(run_sliding_counts(4), p1);
}

struct Click {
  std::string user;
  Timestamp ts;
};

Click click_of(uint64_t i) { return {"u" + std::to_string((i * 7919) % 101), static_cast<Timestamp>(i / 3)}; }

struct Count final : AggregateFunction<Click, int64_t, int64_t> {
  int64_t create_accumulator() const override { return 0; }
  void add(const Click&, int64_t& n) const override { ++n; }
  int64_t get_result(const int64_t& n) const override { return n; }
  int64_t merge(int64_t a, const int64_t& b) const override { return a + b; }
};

class LabelCount final : public ProcessWindowFunction<int64_t, std::string, std::string, TimeWindow> {
 public:
  void process(const std::string& key, Context& ctx, std::span<const int64_t> n, Collector<std::string>& out) override {
    out.collect(fmt::format("{}@{}={}", key, ctx.window().start, n[0]));
  }
};

std::vector<std::string> run_generated_counts(int parallelism, uint64_t records) {
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto out = std::make_shared<Collected<std::string>>();
  auto strategy = WatermarkStrategy<Click>::for_monotonous_timestamps().with_timestamp_assigner(
      [](const Click& c, Timestamp) { return c.ts; });
  env.from_source(GeneratorSource<Click>::from_index(click_of, records), strategy, "clicks")
      .key_by([](const Click& c) { return c.user; })
      .window(TumblingEventTimeWindows::of(Duration(1000)))
      .aggregate(Count{}, LabelCount{})
      .sink_to(CollectSink<std::string>(out));
  env.execute();
  return testing::sorted(out->values());
}

TEST(TumblingEventTimeWindows, GeneratedClicksCountedAtParallelismOneAndFourMatchAReference) {
  // The generator finishes its split just before its input ends (an idle source): the final
  // watermark must still fire the last window.
  const uint64_t n = 20000;
  std::map<std::string, int64_t> counts;
  for (uint64_t i = 0; i < n; ++i) {
    Click c = click_of(i);
    counts[fmt::format("{}@{}", c.user, c.ts / 1000 * 1000)] += 1;
  }
  std::vector<std::string> expected;
  for (auto& [k, v] : counts) expected.push_back(k + "=" + std::to_string(v));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(run_generated_counts(1, n), expected);
  EXPECT_EQ(run_generated_counts(4, n), expected);
}

}  // namespace
}  // namespace sluice
