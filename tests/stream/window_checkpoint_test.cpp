// Window operators through a stop with a savepoint and a resume at another parallelism:
// the results equal an uninterrupted run's, for tumbling windows (reduce), session windows
// (merging, with their session lists) and a count trigger (trigger state).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "sluice/sluice.h"
#include "test_sources.h"

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

}  // namespace
}  // namespace sluice
