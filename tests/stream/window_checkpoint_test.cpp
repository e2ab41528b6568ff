// Window operators through a stop with a savepoint and a resume at another parallelism:
// the results equal an uninterrupted run's, for tumbling windows (reduce), session windows
// (merging, with their session lists), a count trigger (trigger state), and a
// ProcessWindowFunction's per-window and global state (late firings counted in both), on
// the heap and RocksDB backends and from one to the other.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "sluice/sluice.h"
#include "test_sources.h"
#include "window_test_support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using testing::GatedSource;

struct Sum {
  int64_t key;
  int64_t sum;
  int64_t count;
  friend bool operator<(const Sum& a, const Sum& b) {
    return std::tie(a.key, a.sum, a.count) < std::tie(b.key, b.sum, b.count);
  }
  friend bool operator==(const Sum&, const Sum&) = default;
};

using Shape = std::function<DataStream<Sum>(KeyedStream<int64_t, Sum>)>;

// Values 0 .. total-1 with timestamp = value (sessions: a gap every 50 values).
DataStream<Sum> pipeline(StreamEnvironment& env, int64_t total, std::shared_ptr<std::atomic<int64_t>> limit,
                         const Shape& shape) {
  auto keyed = env.from_source(GatedSource(total, std::move(limit)),
                               WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "numbers")
                   .set_parallelism(1)
                   .uid("numbers")
                   .map([](const int64_t& v) { return Sum{v % 7, v, 1}; })
                   .set_parallelism(1)  // each key's records in order (count triggers see order)
                   .uid("to-sum")
                   .key_by([](const Sum& s) { return s.key; });
  return shape(keyed).uid("windows");
}

std::vector<Sum> run_whole(int64_t total, const Shape& shape) {
  StreamEnvironment env;
  env.set_parallelism(2);
  auto out = std::make_shared<Collected<Sum>>();
  pipeline(env, total, std::make_shared<std::atomic<int64_t>>(total), shape).sink_to(CollectSink<Sum>(out));
  env.execute("whole");
  auto v = out->values();
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<Sum> run_interrupted(int64_t total, int64_t stop_at, const Shape& shape, const fs::path& dir) {
  auto first_out = std::make_shared<Collected<Sum>>();
  auto limit = std::make_shared<std::atomic<int64_t>>(stop_at);
  std::string savepoint;
  {
    StreamEnvironment env;
    env.set_parallelism(2);
    pipeline(env, total, limit, shape).sink_to(CollectSink<Sum>(first_out));
    JobClient client = env.execute_async("first");
    // Every record up to stop_at has reached the window operator once its input count says so.
    for (int i = 0; i < 20000; ++i) {
      auto snap = client.snapshot();
      uint64_t in = 0;
      for (auto& v : snap.vertices)
        if (v.name.find("Window") != std::string::npos || v.kind == "window") in = std::max(in, v.records_in);
      if (in >= static_cast<uint64_t>(stop_at)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    savepoint = client.stop_with_savepoint(dir.string());
    client.wait();
  }
  auto second_out = std::make_shared<Collected<Sum>>();
  {
    StreamEnvironment env;
    env.set_parallelism(3);
    env.restore_from(savepoint);
    pipeline(env, total, std::make_shared<std::atomic<int64_t>>(total), shape).sink_to(CollectSink<Sum>(second_out));
    env.execute("second");
  }
  auto v = first_out->values();
  auto w = second_out->values();
  v.insert(v.end(), w.begin(), w.end());
  std::sort(v.begin(), v.end());
  return v;
}

class WindowCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice-wckpt-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

Sum add(const Sum& a, const Sum& b) { return {a.key, a.sum + b.sum, a.count + b.count}; }

TEST_F(WindowCheckpointTest, TumblingReduce) {
  Shape shape = [](KeyedStream<int64_t, Sum> k) {
    return k.window(TumblingEventTimeWindows::of(Duration(100))).reduce(add);
  };
  auto whole = run_whole(2000, shape);
  ASSERT_EQ(whole.size(), 20u * 7);
  EXPECT_EQ(run_interrupted(2000, 1050, shape, dir_), whole);
}

TEST_F(WindowCheckpointTest, SessionWindowsMergeAcrossTheRestore) {
  // Keys 0..6 each see every 7th value (timestamp = value): with a gap of 10 ms each key's
  // records merge into one growing session, which crosses the savepoint.
  Shape shape = [](KeyedStream<int64_t, Sum> k) {
    return k.window(EventTimeSessionWindows::with_gap(Duration(10))).reduce(add);
  };
  auto whole = run_whole(3000, shape);
  ASSERT_EQ(whole.size(), 7u);
  EXPECT_EQ(run_interrupted(3000, 1234, shape, dir_), whole);
}

TEST_F(WindowCheckpointTest, CountTriggerKeepsItsCountsAcrossTheRestore) {
  Shape shape = [](KeyedStream<int64_t, Sum> k) {
    return k.window(GlobalWindows::create()).trigger(PurgingTrigger::of(CountTrigger::of(10))).reduce(add);
  };
  auto whole = run_whole(2100, shape);
  ASSERT_EQ(whole.size(), 2100u / 10);
  EXPECT_EQ(run_interrupted(2100, 995, shape, dir_), whole);
}

// ---- a ProcessWindowFunction's window_state() and global_state() ----

// One firing: the key's window, the how-manyth firing of that window (per-window state)
// and of the key (global state), and the window's contents then.
struct Firing {
  int64_t key;
  Timestamp start;
  int64_t of_window;
  int64_t of_key;
  int64_t count;
  int64_t sum;
  friend auto operator<=>(const Firing&, const Firing&) = default;
};

// A value as a record (windowed streams take records with fields).
struct Num {
  int64_t v;
};

class CountFirings final : public ProcessWindowFunction<Num, Firing, int64_t, TimeWindow> {
 public:
  void process(const int64_t& key, Context& ctx, std::span<const Num> elements, Collector<Firing>& out) override {
    auto per_window = ctx.window_state().get_state(ValueStateDescriptor<int64_t>{"firings"});
    per_window.update(per_window.value_or(0) + 1);
    auto per_key = ctx.global_state().get_state(ValueStateDescriptor<int64_t>{"firings"});
    per_key.update(per_key.value_or(0) + 1);
    int64_t sum = 0;
    for (const Num& n : elements) sum += n.v;
    out.collect({key, ctx.window().start, *per_window.value(), *per_key.value(),
                 static_cast<int64_t>(elements.size()), sum});
  }
  void clear(Context& ctx) override { ctx.window_state().get_state(ValueStateDescriptor<int64_t>{"firings"}).clear(); }
};

// Values 0 .. total-1, 100 per poll of the source (so one watermark per 100 values, at the
// same values in every run). The value's timestamp is the value itself, except in odd
// hundreds, where every 5th value of the first half is 250 late: its window (100 wide)
// fired after the hundred before the last, and fires again (allowed lateness 300). The
// savepoint is taken at a multiple of 200, so the first hundred after the resume, read
// before the resumed job has a watermark, has no late value.
Timestamp late_timestamp(int64_t v) {
  bool late = (v / 100) % 2 == 1 && v % 100 < 50 && v % 5 == 3;
  return late ? v - 250 : v;
}

DataStream<Firing> firings_pipeline(StreamEnvironment& env, int64_t total, std::shared_ptr<std::atomic<int64_t>> limit) {
  return env
      .from_source(GatedSource(total, std::move(limit)),
                   WatermarkStrategy<int64_t>::for_bounded_out_of_orderness(Duration(0))
                       .with_timestamp_assigner([](const int64_t& v, Timestamp) { return late_timestamp(v); }),
                   "numbers")
      .set_parallelism(1)
      .uid("numbers")
      .map([](const int64_t& v) { return Num{v}; })
      .set_parallelism(1)
      .uid("to-num")
      .key_by([](const Num& n) { return n.v % 7; })
      .window(TumblingEventTimeWindows::of(Duration(100)))
      .allowed_lateness(Duration(300))
      .process(CountFirings{})
      .uid("count-firings");
}

struct RunShape {
  int parallelism = 2;
  StateBackend backend = StateBackend::heap;
};

void configure(StreamEnvironment& env, const RunShape& shape, const fs::path& dir) {
  env.set_parallelism(shape.parallelism);
  if (shape.backend == StateBackend::rocksdb) env.set_state_backend(StateBackend::rocksdb, (dir / "working").string());
}

std::vector<Firing> firings_whole(int64_t total, const RunShape& shape, const fs::path& dir) {
  StreamEnvironment env;
  configure(env, shape, dir);
  auto out = std::make_shared<Collected<Firing>>();
  firings_pipeline(env, total, std::make_shared<std::atomic<int64_t>>(total)).sink_to(CollectSink<Firing>(out));
  env.execute("whole");
  auto v = out->values();
  std::sort(v.begin(), v.end());
  return v;
}

// Runs to stop_at, stops with a savepoint, resumes as `second` to the end; both runs' firings.
std::vector<Firing> firings_interrupted(int64_t total, int64_t stop_at, const RunShape& first, const RunShape& second,
                                        const fs::path& dir) {
  auto first_out = std::make_shared<Collected<Firing>>();
  std::string savepoint;
  {
    StreamEnvironment env;
    configure(env, first, dir);
    firings_pipeline(env, total, std::make_shared<std::atomic<int64_t>>(stop_at)).sink_to(CollectSink<Firing>(first_out));
    JobClient client = env.execute_async("first");
    // The source's last hundred has been polled once the window operators have all of it
    // (its watermark follows it on the same channels, before the savepoint's barrier).
    for (int i = 0; i < 20000 && testing::window_records_in(client) < static_cast<uint64_t>(stop_at); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    savepoint = client.stop_with_savepoint((dir / "saves").string());
    client.wait();
  }
  auto second_out = std::make_shared<Collected<Firing>>();
  {
    StreamEnvironment env;
    configure(env, second, dir);
    env.restore_from(savepoint);
    firings_pipeline(env, total, std::make_shared<std::atomic<int64_t>>(total)).sink_to(CollectSink<Firing>(second_out));
    env.execute("second");
  }
  auto v = first_out->values();
  auto w = second_out->values();
  v.insert(v.end(), w.begin(), w.end());
  std::sort(v.begin(), v.end());
  return v;
}

constexpr int64_t kFiringsTotal = 2000;
constexpr int64_t kFiringsStop = 1000;

// The uninterrupted run, with what the test relies on: windows that fire again after the
// savepoint's point (late values in 1100..1149 reopen [800, 900), fired at 999), and per-key
// counts that keep growing.
std::vector<Firing> firings_reference(const fs::path& dir) {
  auto whole = firings_whole(kFiringsTotal, {}, dir);
  auto refired = std::count_if(whole.begin(), whole.end(),
                               [](const Firing& f) { return f.start == 800 && f.of_window > 1; });
  EXPECT_GT(refired, 0) << "no window fires both before and after the savepoint's point";
  auto most = std::max_element(whole.begin(), whole.end(), [](auto& a, auto& b) { return a.of_key < b.of_key; });
  EXPECT_GT(most->of_key, 20);
  return whole;
}

TEST_F(WindowCheckpointTest, WindowFunctionStateResumesAtTheSameParallelism) {
  auto whole = firings_reference(dir_);
  EXPECT_EQ(firings_interrupted(kFiringsTotal, kFiringsStop, {2}, {2}, dir_), whole);
}

TEST_F(WindowCheckpointTest, WindowFunctionStateResumesAtAnotherParallelism) {
  auto whole = firings_reference(dir_);
  EXPECT_EQ(firings_interrupted(kFiringsTotal, kFiringsStop, {2}, {3}, dir_), whole);
  fs::remove_all(dir_ / "saves");
  EXPECT_EQ(firings_interrupted(kFiringsTotal, kFiringsStop, {3}, {1}, dir_), whole);
}

TEST_F(WindowCheckpointTest, WindowFunctionStateOnRocksDb) {
  auto whole = firings_reference(dir_);
  RunShape rocks{2, StateBackend::rocksdb};
  EXPECT_EQ(firings_whole(kFiringsTotal, rocks, dir_), whole);
  EXPECT_EQ(firings_interrupted(kFiringsTotal, kFiringsStop, rocks, {3, StateBackend::rocksdb}, dir_), whole);
}

TEST_F(WindowCheckpointTest, WindowFunctionStateMovesBetweenHeapAndRocksDb) {
  auto whole = firings_reference(dir_);
  EXPECT_EQ(firings_interrupted(kFiringsTotal, kFiringsStop, {2}, {3, StateBackend::rocksdb}, dir_), whole);
  fs::remove_all(dir_ / "saves");
  EXPECT_EQ(firings_interrupted(kFiringsTotal, kFiringsStop, {2, StateBackend::rocksdb}, {1}, dir_), whole);
}

// Window state of a type without a Serializer: the savepoint fails and says why, the job
// goes on.
struct Opaque {
  Opaque() = default;
  virtual ~Opaque() = default;
  int64_t n = 0;
};

TEST_F(WindowCheckpointTest, WindowFunctionStateThatCannotBeSerializedFailsTheSavepoint) {
  class KeepOpaque final : public ProcessWindowFunction<Num, int64_t, int64_t, TimeWindow> {
   public:
    void process(const int64_t& key, Context& ctx, std::span<const Num> elements, Collector<int64_t>& out) override {
      auto s = ctx.window_state().get_state(ValueStateDescriptor<Opaque>{"opaque"});
      Opaque o = s.value_or(Opaque{});
      o.n += static_cast<int64_t>(elements.size());
      s.update(o);
      out.collect(key);
    }
  };
  StreamEnvironment env;
  auto limit = std::make_shared<std::atomic<int64_t>>(500);
  auto out = std::make_shared<Collected<int64_t>>();
  env.from_source(GatedSource(1000, limit), WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "numbers")
      .set_parallelism(1)
      .map([](const int64_t& v) { return Num{v}; })
      .set_parallelism(1)
      .key_by([](const Num& n) { return n.v % 7; })
      .window(TumblingEventTimeWindows::of(Duration(100)))
      .allowed_lateness(Duration(1000))  // the fired windows (and their state) stay
      .process(KeepOpaque{})
      .sink_to(CollectSink<int64_t>(out));
  JobClient client = env.execute_async("opaque");
  for (int i = 0; i < 20000 && out->size() < 7; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_GE(out->size(), 7u);
  try {
    client.trigger_savepoint(dir_.string());
    ADD_FAILURE() << "the savepoint must fail";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("per-window state of a ProcessWindowFunction"), std::string::npos) << what;
    EXPECT_NE(what.find("cannot be checkpointed"), std::string::npos) << what;
  }
  limit->store(1000);
  client.wait();
  EXPECT_EQ(out->size(), 70u);
}

}  // namespace
}  // namespace sluice
