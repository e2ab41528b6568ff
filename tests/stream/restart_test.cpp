// Restart strategies: a task failure restarts the job in the same process from the newest
// checkpoint, so keyed counts end right; without a strategy, or when the attempts run out,
// the job fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "sluice/sluice.h"
#include "test_sources.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using testing::GatedSource;

struct Count {
  int64_t key;
  int64_t count;
};

class Counter final : public KeyedProcessFunction<int64_t, int64_t, Count> {
 public:
  void open(const SubtaskInfo&) override { n_ = get_state(ValueStateDescriptor<int64_t>{"n"}); }
  void process_element(const int64_t&, Context& ctx, Collector<Count>& out) override {
    int64_t n = n_.value_or(0) + 1;
    n_.update(n);
    out.collect({ctx.current_key(), n});
  }

 private:
  ValueState<int64_t> n_;
};

// Throws on `at` while *failures_left > 0 (each throw uses one up).
struct FailOnce {
  int64_t at;
  std::shared_ptr<std::atomic<int>> failures_left;
  int64_t operator()(const int64_t& v) const {
    if (v == at && failures_left->fetch_sub(1) > 0) throw std::runtime_error("injected failure");
    return v;
  }
};

struct Outcome {
  std::map<int64_t, int64_t> finals;
  int restarts = 0;
  std::string failure;
};

Outcome run(const fs::path& dir, RestartStrategy strategy, int failures, std::shared_ptr<std::atomic<int64_t>> limit,
            std::function<void(JobClient&)> while_running = {}) {
  StreamEnvironment env;
  env.enable_checkpointing(Duration(10), dir.string());
  env.set_restart_strategy(strategy);
  auto out = std::make_shared<Collected<Count>>();
  auto left = std::make_shared<std::atomic<int>>(failures);
  env.from_source(GatedSource(3000, limit), WatermarkStrategy<int64_t>::no_watermarks(), "numbers")
      .uid("numbers")
      .map(FailOnce{2000, left})
      .uid("fail")
      .key_by([](const int64_t& v) { return v % 5; })
      .process(Counter())
      .uid("count")
      .sink_to(CollectSink<Count>(out));
  JobClient client = env.execute_async("restartable");
  if (while_running) while_running(client);
  Outcome o;
  try {
    client.wait();
  } catch (const JobFailure& e) {
    o.failure = e.what();
  }
  o.restarts = client.restarts();
  for (auto& c : out->values()) o.finals[c.key] = std::max(o.finals[c.key], c.count);
  return o;
}

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice-restart-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// Lets 1,500 records through, waits for a checkpoint that holds them, then the rest.
void after_a_checkpoint(JobClient& client, std::shared_ptr<std::atomic<int64_t>> limit) {
  for (int i = 0; i < 20000; ++i) {
    auto cps = client.checkpoints();
    if (std::count_if(cps.begin(), cps.end(), [](auto& c) { return c.status == CheckpointStatus::completed; }) >= 3)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  limit->store(3000);
}

TEST_F(RestartTest, FixedDelayRestartsFromTheNewestCheckpointAndLosesNothing) {
  auto limit = std::make_shared<std::atomic<int64_t>>(1500);
  Outcome o = run(dir_, RestartStrategy::fixed_delay(3, Duration(10)), 2, limit,
                  [&](JobClient& c) { after_a_checkpoint(c, limit); });
  EXPECT_EQ(o.failure, "");
  EXPECT_EQ(o.restarts, 2);
  std::map<int64_t, int64_t> want;
  for (int64_t k = 0; k < 5; ++k) want[k] = 600;
  EXPECT_EQ(o.finals, want);
}

TEST_F(RestartTest, ExponentialBackoffRestartsToo) {
  auto limit = std::make_shared<std::atomic<int64_t>>(1500);
  Outcome o = run(dir_, RestartStrategy::exponential_backoff(Duration(5), Duration(50)), 3, limit,
                  [&](JobClient& c) { after_a_checkpoint(c, limit); });
  EXPECT_EQ(o.failure, "");
  EXPECT_EQ(o.restarts, 3);
  EXPECT_EQ(o.finals.at(0), 600);
}

TEST_F(RestartTest, WithoutAStrategyOrWhenAttemptsRunOutTheJobFails) {
  auto limit = std::make_shared<std::atomic<int64_t>>(3000);
  Outcome none = run(dir_ / "a", RestartStrategy::no_restart(), 1, limit);
  EXPECT_NE(none.failure.find("injected failure"), std::string::npos) << none.failure;
  EXPECT_EQ(none.restarts, 0);
  Outcome out_of_attempts = run(dir_ / "b", RestartStrategy::fixed_delay(2, Duration(1)), 5, limit);
  EXPECT_NE(out_of_attempts.failure.find("injected failure"), std::string::npos);
  EXPECT_EQ(out_of_attempts.restarts, 2);
}

}  // namespace
}  // namespace sluice
