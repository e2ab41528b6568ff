// End-to-end pipelines of the engine on collections: chaining, key_by exchange,
// parallelism, union, connect, side outputs, failures.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "sluice/sluice.h"

namespace sluice {
namespace {

struct Click {
  std::string user;
  int64_t ts;
};

class CountPerUser final : public KeyedProcessFunction<std::string, Click, std::string> {
 public:
  void open(const SubtaskInfo&) override { count_ = get_state(ValueStateDescriptor<int64_t>{"count"}); }
  void process_element(const Click& click, Context& ctx, Collector<std::string>& out) override {
    int64_t n = count_.value_or(0) + 1;
    count_.update(n);
    out.collect(ctx.current_key() + "=" + std::to_string(n));
  }

 private:
  ValueState<int64_t> count_;
};

std::vector<Click> clicks(int n, int users) {
  std::vector<Click> out;
  for (int i = 0; i < n; ++i) out.push_back({"u" + std::to_string((i * 7) % users), i});
  return out;
}

// Runs filter -> key_by(user) -> count per user at `parallelism`; `out` gets the sorted
// "user=count" results; returns the job's final snapshot.
JobSnapshot run_count_snapshot(int parallelism, const std::vector<Click>& input, std::vector<std::string>& out) {
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto results = std::make_shared<Collected<std::string>>();
  env.from_collection(input)
      .filter([](const Click& c) { return !c.user.empty(); })
      .key_by([](const Click& c) { return c.user; })
      .process(CountPerUser{})
      .sink_to(CollectSink<std::string>(results));
  auto job = env.execute_async("count");
  job.wait();
  out = results->values();
  std::sort(out.begin(), out.end());
  return job.snapshot();
}

std::vector<std::string> run_count(int parallelism, const std::vector<Click>& input) {
  std::vector<std::string> out;
  run_count_snapshot(parallelism, input, out);
  return out;
}

// What a count per user must emit for `input`: one running count per record, sorted.
std::vector<std::string> expected_counts(const std::vector<Click>& input) {
  std::vector<std::string> expected;
  std::map<std::string, int> counts;
  for (auto& c : input) expected.push_back(c.user + "=" + std::to_string(++counts[c.user]));
  std::sort(expected.begin(), expected.end());
  return expected;
}

TEST(Pipeline, KeyedCountIsTheSameAtEveryParallelism) {
  auto input = clicks(10000, 37);
  const auto expected = expected_counts(input);
  EXPECT_EQ(run_count(1, input), expected);
  EXPECT_EQ(run_count(4, input), expected);
}

// At parallelism 1 a key_by sends every record to the one consumer subtask, so the keyed
// operator joins its input's chain (no thread hop, no channel); the dashboard still shows
// the edge as a hash exchange. At parallelism 2 the exchange stays a network edge.
TEST(Pipeline, KeyByAtParallelismOneIsChainedAndStillAHashEdge) {
  auto input = clicks(5000, 13);
  const auto expected = expected_counts(input);

  std::vector<std::string> got;
  JobSnapshot p1 = run_count_snapshot(1, input, got);
  EXPECT_EQ(got, expected);
  ASSERT_EQ(p1.vertices.size(), 4u);  // source, filter, keyed process, sink
  for (auto& v : p1.vertices) EXPECT_EQ(v.chain, p1.vertices[0].chain) << v.name << " is not chained";
  ASSERT_EQ(p1.edges.size(), 3u);
  EXPECT_EQ(p1.edges[1].partitioning, "HASH");
  EXPECT_EQ(p1.vertices[2].records_in, input.size());
  EXPECT_EQ(p1.vertices[3].records_in, input.size());

  JobSnapshot p2 = run_count_snapshot(2, input, got);
  EXPECT_EQ(got, expected);
  EXPECT_NE(p2.vertices[2].chain, p2.vertices[1].chain) << "a hash exchange between subtasks is a network edge";
  EXPECT_EQ(p2.edges[1].partitioning, "HASH");
}

TEST(Pipeline, MapFlatMapAndChainKeepOrderAtParallelismOne) {
  StreamEnvironment env;
  auto results = std::make_shared<Collected<int>>();
  env.from_collection(std::vector<int>{1, 2, 3})
      .map([](int x) { return x * 10; })
      .flat_map<int>([](int x, Collector<int>& out) { out.collect(x); out.collect(x + 1); })
      .sink_to(CollectSink<int>(results));
  env.execute();
  EXPECT_EQ(results->values(), (std::vector<int>{10, 11, 20, 21, 30, 31}));
}

TEST(Pipeline, UnionSeesBothInputs) {
  StreamEnvironment env;
  env.set_parallelism(2);
  auto results = std::make_shared<Collected<int>>();
  auto a = env.from_collection(std::vector<int>{1, 2, 3});
  auto b = env.from_collection(std::vector<int>{10, 20});
  a.union_with(b).map([](int x) { return x + 1; }).sink_to(CollectSink<int>(results));
  env.execute();
  auto v = results->values();
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<int>{2, 3, 4, 11, 21}));
}

class Split final : public ProcessFunction<int, int> {
 public:
  void process_element(const int& x, Context& ctx, Collector<int>& out) override {
    if (x % 2) ctx.output(odd_tag(), std::to_string(x)); else out.collect(x);
  }
  static const OutputTag<std::string>& odd_tag() {
    static OutputTag<std::string> tag("odd");
    return tag;
  }
};

TEST(Pipeline, SideOutputsCarryTheirOwnType) {
  StreamEnvironment env;
  auto evens = std::make_shared<Collected<int>>();
  auto odds = std::make_shared<Collected<std::string>>();
  auto split = env.from_collection(std::vector<int>{1, 2, 3, 4, 5}).process(Split{});
  split.sink_to(CollectSink<int>(evens));
  split.side_output(Split::odd_tag()).sink_to(CollectSink<std::string>(odds));
  env.execute();
  EXPECT_EQ(evens->values(), (std::vector<int>{2, 4}));
  EXPECT_EQ(odds->values(), (std::vector<std::string>{"1", "3", "5"}));
}

TEST(Pipeline, AThrowingFunctionFailsTheJobNamingOperatorAndRecord) {
  StreamEnvironment env;
  auto results = std::make_shared<Collected<int>>();
  env.from_collection(std::vector<std::string>{"1", "2", "oops", "4"})
      .map([](const std::string& s) { return std::stoi(s); })
      .name("parse")
      .sink_to(CollectSink<int>(results));
  try {
    env.execute();
    FAIL() << "the job should fail";
  } catch (const JobFailure& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("parse"), std::string::npos) << what;
    EXPECT_NE(what.find("oops"), std::string::npos) << what;
    EXPECT_NE(what.find("stoi"), std::string::npos) << what;
  }
}

TEST(Pipeline, FailuresCanBeRoutedInsteadOfFailingTheJob) {
  StreamEnvironment env;
  auto results = std::make_shared<Collected<int>>();
  auto failed = std::make_shared<Collected<FailedRecord>>();
  auto parsed = env.from_collection(std::vector<std::string>{"1", "x", "3"})
                    .map([](const std::string& s) { return std::stoi(s); })
                    .name("parse");
  parsed.sink_to(CollectSink<int>(results));
  parsed.failures().sink_to(CollectSink<FailedRecord>(failed));
  env.execute();
  EXPECT_EQ(results->values(), (std::vector<int>{1, 3}));
  ASSERT_EQ(failed->size(), 1u);
  auto f = failed->values()[0];
  EXPECT_EQ(f.operator_name, "parse");
  EXPECT_EQ(f.record, "x");
  EXPECT_NE(f.error.find("stoi"), std::string::npos);
}

TEST(Pipeline, RollingSumPerKey) {
  struct Order {
    std::string customer;
    int64_t amount;
  };
  StreamEnvironment env;
  env.set_parallelism(3);
  auto results = std::make_shared<Collected<Order>>();
  env.from_collection(std::vector<Order>{{"a", 1}, {"b", 10}, {"a", 2}, {"a", 3}, {"b", 20}})
      .key_by([](const Order& o) { return o.customer; })
      .sum(&Order::amount)
      .sink_to(CollectSink<Order>(results));
  env.execute();
  std::map<std::string, std::vector<int64_t>> seen;
  for (auto& o : results->values()) seen[o.customer].push_back(o.amount);
  EXPECT_EQ(seen["a"], (std::vector<int64_t>{1, 3, 6}));
  EXPECT_EQ(seen["b"], (std::vector<int64_t>{10, 30}));
}

}  // namespace
}  // namespace sluice
