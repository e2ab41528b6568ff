// Checkpoints and savepoints in process: state, timers and source positions survive a
// restore, at the same or another parallelism; a stop with a savepoint does not drain;
// periodic checkpoints resume from the newest whole one; damaged ones are skipped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "sluice/sluice.h"
#include "stream/checkpoint/checkpoint_coordinator.h"
#include "stream/checkpoint/checkpoint_storage.h"
#include "test_sources.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using testing::GatedSource;

struct KeyCount {
  int64_t key;
  int64_t count;
  int64_t sum;
};

// A running count and sum per key in ValueState, plus an event-time timer per key that
// emits a marker count of -1 when the watermark passes key's first record + 1,000,000.
class CountPerKey final : public KeyedProcessFunction<int64_t, int64_t, KeyCount> {
 public:
  void open(const SubtaskInfo&) override { count_ = get_state(ValueStateDescriptor<std::pair<int64_t, int64_t>>{"count"}); }
  void process_element(const int64_t& v, Context& ctx, Collector<KeyCount>& out) override {
    auto c = count_.value_or({0, 0});
    if (c.first == 0) ctx.timer_service().register_event_time_timer(1000000);
    c.first += 1;
    c.second += v;
    count_.update(c);
    out.collect({ctx.current_key(), c.first, c.second});
  }
  void on_timer(Timestamp, OnTimerContext& ctx, Collector<KeyCount>& out) override {
    out.collect({ctx.current_key(), -1, count_.value_or({0, 0}).first});
  }

 private:
  ValueState<std::pair<int64_t, int64_t>> count_;
};

struct Running {
  JobClient client;
  std::shared_ptr<Collected<KeyCount>> out;
};

Running start_counting(int64_t total, std::shared_ptr<std::atomic<int64_t>> limit, int parallelism,
                   const std::string& restore, const std::string& checkpoint_dir = "",
                   Duration interval = Duration(0)) {
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  if (!restore.empty()) env.restore_from(restore);
  if (!checkpoint_dir.empty()) env.enable_checkpointing(interval, checkpoint_dir);
  auto out = std::make_shared<Collected<KeyCount>>();
  env.from_source(GatedSource(total, std::move(limit)), WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "numbers")
      .set_parallelism(1)
      .uid("numbers")
      .key_by([](const int64_t& v) { return v % 10; })
      .process(CountPerKey())
      .uid("count")
      .sink_to(CollectSink<KeyCount>(out));
  return {env.execute_async("counting"), out};
}

// Final count and sum per key, and the timer markers, over the union of two runs' output.
struct Finals {
  std::map<int64_t, std::pair<int64_t, int64_t>> last;
  std::map<int64_t, int64_t> markers;
};
Finals finals(const std::vector<std::shared_ptr<Collected<KeyCount>>>& outs) {
  Finals f;
  for (auto& o : outs)
    for (auto& kc : o->values()) {
      if (kc.count == -1) {
        f.markers[kc.key] = kc.sum;
      } else {
        auto& [count, sum] = f.last[kc.key];
        if (kc.count > count) {
          count = kc.count;
          sum = kc.sum;
        }
      }
    }
  return f;
}

Finals expected(int64_t total) {
  Finals f;
  for (int64_t v = 0; v < total; ++v) {
    auto& [count, sum] = f.last[v % 10];
    ++count;
    sum += v;
  }
  for (auto& [k, cs] : f.last) f.markers[k] = cs.first;
  return f;
}

void wait_for_records(const Collected<KeyCount>& out, size_t n) {
  for (int i = 0; i < 10000 && out.size() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_GE(out.size(), n);
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice-ckpt-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

void resume_and_check(const std::string& savepoint, int parallelism, const std::shared_ptr<Collected<KeyCount>>& first) {
  auto limit = std::make_shared<std::atomic<int64_t>>(1 << 30);
  Running second = start_counting(2000, limit, parallelism, savepoint);
  second.client.wait();
  Finals got = finals(std::vector{first, second.out});
  Finals want = expected(2000);
  EXPECT_EQ(got.last, want.last);
  EXPECT_EQ(got.markers, want.markers);
  // Nothing twice: the second run starts after the savepoint's records.
  for (auto& kc : second.out->values())
    if (kc.count != -1) EXPECT_GT(kc.count, 100) << "key " << kc.key << " counted again from the start";
}

TEST_F(CheckpointTest, SavepointRestoresStateTimersAndSourcePosition) {
  auto limit = std::make_shared<std::atomic<int64_t>>(1000);
  Running first = start_counting(2000, limit, 2, "");
  wait_for_records(*first.out, 1000);
  std::string path = first.client.trigger_savepoint(dir_.string());
  first.client.cancel();
  first.client.wait();
  EXPECT_TRUE(fs::exists(fs::path(path) / "_metadata"));
  auto cps = first.client.checkpoints();
  ASSERT_FALSE(cps.empty());
  EXPECT_EQ(cps.back().status, CheckpointStatus::completed);
  EXPECT_TRUE(cps.back().savepoint);
  EXPECT_GT(cps.back().bytes, 0u);
  resume_and_check(path, 2, first.out);
}

TEST_F(CheckpointTest, RestoresAtAnotherParallelism) {
  auto limit = std::make_shared<std::atomic<int64_t>>(1000);
  Running first = start_counting(2000, limit, 2, "");
  wait_for_records(*first.out, 1000);
  std::string path = first.client.stop_with_savepoint(dir_.string());
  first.client.wait();
  EXPECT_EQ(first.client.state(), JobState::finished);
  // A stop does not drain: the timers at 1,000,000 did not fire.
  EXPECT_TRUE(finals(std::vector{first.out}).markers.empty());
  resume_and_check(path, 3, first.out);
}

TEST_F(CheckpointTest, PeriodicCheckpointsResumeFromTheNewestWholeOne) {
  auto limit = std::make_shared<std::atomic<int64_t>>(1000);
  fs::path chk = dir_ / "checkpoints";
  Running first = start_counting(2000, limit, 1, "", chk.string(), Duration(20));
  wait_for_records(*first.out, 1000);
  for (int i = 0; i < 5000; ++i) {
    auto cps = first.client.checkpoints();
    if (std::count_if(cps.begin(), cps.end(), [](auto& c) { return c.status == CheckpointStatus::completed; }) >= 2)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  first.client.cancel();
  first.client.wait();
  auto listed = checkpoint::list_checkpoints(chk);
  ASSERT_GE(listed.size(), 2u);
  EXPECT_LE(listed.size(), 3u);  // retained

  // Damage the newest: the one before it is used, with a log line.
  fs::path newest = listed[0].second;
  for (auto& f : fs::directory_iterator(newest))
    if (f.path().extension() == ".state") {
      std::fstream io(f.path(), std::ios::in | std::ios::out | std::ios::binary);
      io.seekp(-1, std::ios::end);
      io.put('\x7f');
    }
  limit->store(1 << 30);
  Running second = start_counting(2000, limit, 1, "", chk.string(), Duration(20));
  second.client.wait();
  JobSnapshot snap = second.client.snapshot();
  EXPECT_EQ(snap.restored_id, listed[1].first);
  Finals got = finals(std::vector{first.out, second.out});
  EXPECT_EQ(got.last, expected(2000).last);
}

TEST_F(CheckpointTest, HalfWrittenCheckpointIsIgnored) {
  fs::create_directories(dir_ / "chk-7.inprogress");
  std::ofstream(dir_ / "chk-7.inprogress" / "_metadata") << "{";
  fs::create_directories(dir_ / "chk-8");  // no _metadata: not whole
  EXPECT_EQ(checkpoint::latest_valid_checkpoint(dir_), nullptr);
  EXPECT_THROW(checkpoint::read_checkpoint(dir_ / "chk-8"), checkpoint::CorruptCheckpoint);
}

TEST_F(CheckpointTest, StateOfAMissingOperatorIsAnErrorUnlessAllowed) {
  auto limit = std::make_shared<std::atomic<int64_t>>(100);
  Running first = start_counting(2000, limit, 1, "");
  wait_for_records(*first.out, 100);
  std::string path = first.client.stop_with_savepoint(dir_.string());
  first.client.wait();

  auto build = [&](bool allow) {
    StreamEnvironment env;
    env.restore_from(path, allow);
    auto out = std::make_shared<Collected<int64_t>>();
    auto l = std::make_shared<std::atomic<int64_t>>(1 << 30);
    env.from_source(GatedSource(200, l), WatermarkStrategy<int64_t>::no_watermarks(), "numbers")
        .uid("numbers")
        .map([](const int64_t& v) { return v; })
        .sink_to(CollectSink<int64_t>(out));
    env.execute("renamed");
    return out->size();
  };
  try {
    build(false);
    FAIL() << "restoring state of an operator the job lacks must fail";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("count"), std::string::npos) << e.what();
  }
  EXPECT_EQ(build(true), 100u);  // the source resumed at 100
}

struct Opaque {
  explicit Opaque(int v) : v(v) {}
  Opaque() = default;
  virtual ~Opaque() = default;
  int v = 0;
};

TEST_F(CheckpointTest, StateThatCannotBeSerializedFailsTheCheckpointNotTheJob) {
  class Keep final : public KeyedProcessFunction<int64_t, int64_t, int64_t> {
   public:
    void open(const SubtaskInfo&) override { s_ = get_state(ValueStateDescriptor<Opaque>{"opaque"}); }
    void process_element(const int64_t& v, Context&, Collector<int64_t>& out) override {
      s_.update(Opaque(static_cast<int>(v)));
      out.collect(v);
    }
    ValueState<Opaque> s_;
  };
  StreamEnvironment env;
  auto limit = std::make_shared<std::atomic<int64_t>>(10);
  auto out = std::make_shared<Collected<int64_t>>();
  env.from_source(GatedSource(20, limit), WatermarkStrategy<int64_t>::no_watermarks(), "numbers")
      .key_by([](const int64_t& v) { return v; })
      .process(Keep())
      .sink_to(CollectSink<int64_t>(out));
  JobClient client = env.execute_async("opaque");
  for (int i = 0; i < 5000 && out->size() < 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  try {
    client.trigger_savepoint(dir_.string());
    FAIL() << "the savepoint must fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be checkpointed"), std::string::npos) << e.what();
  }
  limit->store(20);
  client.wait();
  EXPECT_EQ(out->size(), 20u);
  EXPECT_EQ(client.checkpoints().back().status, CheckpointStatus::failed);
}


TEST_F(CheckpointTest, ATaskThatFinishesDeclinesThePendingCheckpoint) {
  runtime::CheckpointSettings settings;
  settings.dir = dir_.string();
  settings.timeout = Duration(3600000);  // only the finished task may end it
  std::atomic<CheckpointId> triggered{0};
  checkpoint::CheckpointCoordinator::Hooks hooks;
  hooks.all_tasks_running = [] { return true; };
  hooks.trigger_sources = [&](CheckpointId id, bool) { triggered = id; };
  hooks.notify_complete = [](CheckpointId) {};
  hooks.fail_job = [](const std::string&) {};
  checkpoint::CheckpointCoordinator coordinator("job", settings, 128, {{"op", "op", 2}}, 2, {}, hooks, 1);
  coordinator.start();
  auto first = coordinator.savepoint(dir_.string(), false);
  ASSERT_TRUE(testing::eventually([&] { return triggered.load() != 0; }));
  coordinator.acknowledge(triggered.load(), {});  // one task took it; the other ends
  coordinator.task_finished("op (2/2)", 0);
  ASSERT_EQ(first.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  try {
    first.get();
    FAIL() << "the savepoint must fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("op (2/2) finished before its barrier"), std::string::npos) << e.what();
  }
  // No checkpoint starts once a task has finished.
  auto second = coordinator.savepoint(dir_.string(), false);
  ASSERT_EQ(second.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_THROW(second.get(), std::runtime_error);
  EXPECT_EQ(triggered.load(), 1);
  EXPECT_EQ(coordinator.counts().failed, 2u);
  EXPECT_EQ(coordinator.shutdown(true), "");
}

// A committer whose final commit fails, and a writer that waits on a commit as the
// exactly-once Kafka sink does after a barrier.
class FailingCommitter final : public CheckpointCommitter {
 public:
  void commit(CheckpointId) override {}
  void cancel() override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    cv_.notify_all();
  }
  void close(bool finished) override {
    if (finished) throw std::runtime_error("the broker refused the final commit");
  }
  void wait_for_cancel() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return cancelled_; });
    throw std::runtime_error("woken by the cancel");
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
};

class CommittingSink final : public Sink<int64_t> {
 public:
  CommittingSink(std::shared_ptr<FailingCommitter> committer, bool block) : committer_(committer), block_(block) {}
  std::unique_ptr<SinkWriter<int64_t>> create_writer(const SubtaskInfo&) override {
    return std::make_unique<Writer>(committer_, block_);
  }
  std::shared_ptr<CheckpointCommitter> checkpoint_committer() override { return committer_; }

 private:
  struct Writer final : SinkWriter<int64_t> {
    Writer(std::shared_ptr<FailingCommitter> c, bool block) : committer(std::move(c)), block(block) {}
    void write(const int64_t&, const SinkContext&) override {
      if (block) committer->wait_for_cancel();
    }
    std::shared_ptr<FailingCommitter> committer;
    bool block;
  };
  std::shared_ptr<FailingCommitter> committer_;
  bool block_;
};

TEST_F(CheckpointTest, AFailedFinalCommitFailsTheJob) {
  StreamEnvironment env;
  auto committer = std::make_shared<FailingCommitter>();
  env.from_collection(std::vector<int64_t>{1, 2, 3}).sink_to(CommittingSink(committer, false));
  try {
    env.execute("final-commit");
    FAIL() << "the job must fail";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("the broker refused the final commit"), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointTest, CancelWakesAWriterWaitingOnACommit) {
  StreamEnvironment env;
  auto committer = std::make_shared<FailingCommitter>();
  auto limit = std::make_shared<std::atomic<int64_t>>(1);
  env.from_source(GatedSource(2, limit), WatermarkStrategy<int64_t>::no_watermarks(), "numbers")
      .sink_to(CommittingSink(committer, true));
  JobClient client = env.execute_async("blocked-writer");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the writer is (or soon is) waiting
  client.cancel();
  client.wait();  // returns: the writer woke; its error is not the job's failure
  EXPECT_EQ(client.state(), JobState::cancelled);
}

}  // namespace
}  // namespace sluice
