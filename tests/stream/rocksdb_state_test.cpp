// The RocksDB keyed state backend: every state kind scoped to the key, TTL, the write-back
// cache, snapshot/restore by key group (at another parallelism), checkpoints that move
// between the heap and RocksDB backends both ways, and jobs that give the same results on
// both backends; periodic checkpoints through RocksDB's own checkpoints (restored at the same
// and at another parallelism, into the heap; damaged ones skipped; old ones deleted).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>
#include <tuple>

#include "sluice/sluice.h"
#include "stream/checkpoint/checkpoint_storage.h"
#include "stream/runtime/key_groups.h"
#include "stream/state/keyed_state_backend.h"
#include "test_sources.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using Sections = std::map<std::string, std::map<int, std::string>>;

class RocksDbStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice-rocks-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  template <class K>
  std::unique_ptr<state::RocksDbKeyedStateBackend<K>> rocks(const ProcessingClock* clock, const std::string& name = "db") {
    return std::make_unique<state::RocksDbKeyedStateBackend<K>>((dir_ / name).string(), clock);
  }

  fs::path dir_;
};

struct SumAgg final : AggregateFunction<int, std::pair<int, int>, double> {
  std::pair<int, int> create_accumulator() const override { return {0, 0}; }
  void add(const int& v, std::pair<int, int>& acc) const override { acc.first += v; ++acc.second; }
  double get_result(const std::pair<int, int>& acc) const override { return double(acc.first) / acc.second; }
};

// The restore a subtask `index` of `parallelism` gets from `sections`.
OperatorRestore restore_for(const Sections& sections, int index, int parallelism, int max_parallelism = 128) {
  OperatorRestore r;
  for (auto& [name, groups] : sections)
    for (auto& [g, bytes] : groups)
      if (runtime::subtask_of_key_group(g, max_parallelism, parallelism) == index) r.keyed[name].emplace_back(g, bytes);
  return r;
}

TEST_F(RocksDbStateTest, EveryKindIsScopedToTheCurrentKey) {
  ManualClock clock;
  auto db = rocks<std::string>(&clock);
  state::KeyedStateBackend<std::string>& backend = *db;
  auto value = backend.value_state(ValueStateDescriptor<int>{"v"});
  auto list = backend.list_state(ListStateDescriptor<int>{"l"});
  auto map = backend.map_state(MapStateDescriptor<std::string, int>{"m"});
  auto reducing = backend.reducing_state(
      ReducingStateDescriptor<int>{"r", [](const int& a, const int& b) { return a + b; }});
  auto aggregating = backend.aggregating_state(
      AggregatingStateDescriptor<int, std::pair<int, int>, double>{"a", std::make_shared<SumAgg>()});

  std::string a = "a", b = "b";
  backend.set_current_key(&a);
  EXPECT_FALSE(value.value());
  value.update(1);
  list.add(1);
  list.add(2);
  map.put("x", 7);
  reducing.add(3);
  reducing.add(4);
  aggregating.add(2);
  aggregating.add(4);

  backend.set_current_key(&b);
  EXPECT_FALSE(value.value());
  EXPECT_TRUE(list.get().empty());
  EXPECT_FALSE(map.contains("x"));
  EXPECT_FALSE(reducing.get());
  EXPECT_FALSE(aggregating.get());
  value.update(2);

  backend.set_current_key(&a);
  EXPECT_EQ(value.value(), 1);
  EXPECT_EQ(list.get(), (std::vector<int>{1, 2}));
  EXPECT_EQ(map.get("x"), 7);
  EXPECT_EQ(reducing.get(), 7);
  EXPECT_DOUBLE_EQ(*aggregating.get(), 3.0);
  map.remove("x");
  EXPECT_TRUE(map.is_empty());
  value.clear();
  EXPECT_FALSE(value.value());
  EXPECT_EQ(backend.entries("v"), 1u);  // b's
  EXPECT_EQ(backend.entries("m"), 0u);
  EXPECT_EQ(backend.entries("l"), 1u);
  EXPECT_THROW(backend.value_state(ValueStateDescriptor<std::string>{"v"}), std::logic_error);
}

TEST_F(RocksDbStateTest, ValuesOutliveTheCacheAndManyKeys) {
  ManualClock clock;
  auto db = rocks<int64_t>(&clock);
  auto value = db->value_state(ValueStateDescriptor<std::string>{"v"});
  auto list = db->list_state(ListStateDescriptor<int64_t>{"l"});
  // Interleaved keys: every access after the first misses the one-entry cache.
  for (int round = 0; round < 3; ++round)
    for (int64_t k = 0; k < 5000; ++k) {
      db->set_current_key(&k);
      value.update("value-" + std::to_string(k * 10 + round));
      list.add(round);
    }
  for (int64_t k = 0; k < 5000; k += 7) {
    db->set_current_key(&k);
    EXPECT_EQ(value.value(), "value-" + std::to_string(k * 10 + 2));
    EXPECT_EQ(list.get(), (std::vector<int64_t>{0, 1, 2}));
  }
  EXPECT_EQ(db->entries("v"), 5000u);
  EXPECT_EQ(db->entries("l"), 5000u);
  // The working directory goes with the backend.
  std::string path = db->store().dir();
  EXPECT_TRUE(fs::exists(path));
  db.reset();
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(RocksDbStateTest, TtlExpiresInProcessingTime) {
  ManualClock clock;
  auto db = rocks<int>(&clock);
  auto written = db->value_state(
      ValueStateDescriptor<int>{"written"}.enable_time_to_live({Duration(100), StateTtlConfig::UpdateType::on_create_and_write}));
  auto read = db->value_state(
      ValueStateDescriptor<int>{"read"}.enable_time_to_live({Duration(100), StateTtlConfig::UpdateType::on_read_and_write}));
  int k1 = 1, k2 = 2;
  db->set_current_key(&k1);
  written.update(10);
  read.update(20);
  clock.advance(Duration(60));
  db->set_current_key(&k2);  // k1 goes back to RocksDB with its times
  written.update(1);
  db->set_current_key(&k1);
  EXPECT_EQ(written.value(), 10);
  EXPECT_EQ(read.value(), 20);  // touched again at 60
  clock.advance(Duration(60));  // 120
  db->set_current_key(&k2);
  db->set_current_key(&k1);
  EXPECT_FALSE(written.value());  // written at 0
  EXPECT_EQ(read.value(), 20);    // read at 60
  clock.advance(Duration(100));   // 220
  EXPECT_FALSE(read.value());
  // purge_expired drops what nobody reads again: k2's "written" (at 60).
  EXPECT_EQ(db->entries("written"), 1u);
  EXPECT_EQ(db->purge_expired(), 1u);
  EXPECT_EQ(db->entries("written"), 0u);
}

// Fills a backend with `keys` keys across states; the values are a function of the key.
void fill(state::KeyedStateBackend<int64_t>& backend, int64_t keys) {
  auto count = backend.value_state(ValueStateDescriptor<int64_t>{"count"});
  auto names = backend.list_state(ListStateDescriptor<std::string>{"names"});
  auto map = backend.map_state(MapStateDescriptor<int, std::string>{"map"});
  for (int64_t k = 0; k < keys; ++k) {
    backend.set_current_key(&k);
    count.update(k * 3);
    names.add("n" + std::to_string(k));
    if (k % 2 == 0) map.put(int(k % 5), "m" + std::to_string(k));
  }
}

// Checks the keys of `backend` among 0..keys-1 that `owned` says it has.
void check(state::KeyedStateBackend<int64_t>& backend, int64_t keys, const std::function<bool(int64_t)>& owned) {
  auto count = backend.value_state(ValueStateDescriptor<int64_t>{"count"});
  auto names = backend.list_state(ListStateDescriptor<std::string>{"names"});
  auto map = backend.map_state(MapStateDescriptor<int, std::string>{"map"});
  for (int64_t k = 0; k < keys; ++k) {
    backend.set_current_key(&k);
    if (!owned(k)) {
      ASSERT_FALSE(count.value()) << k;
      continue;
    }
    ASSERT_EQ(count.value(), k * 3) << k;
    ASSERT_EQ(names.get(), std::vector<std::string>{"n" + std::to_string(k)}) << k;
    if (k % 2 == 0) {
      ASSERT_EQ(map.get(int(k % 5)), "m" + std::to_string(k)) << k;
    } else {
      ASSERT_TRUE(map.is_empty()) << k;
    }
  }
}

TEST_F(RocksDbStateTest, SnapshotRestoresByKeyGroupAtAnotherParallelism) {
  ManualClock clock;
  auto db = rocks<int64_t>(&clock);
  fill(*db, 3000);
  Sections sections;
  db->snapshot(sections);
  ASSERT_EQ(sections.size(), 3u);
  ASSERT_EQ(sections["state/count"].size(), 128u);  // every key group has keys
  // Three subtasks now: each gets its key groups' entries, and only those.
  size_t total = 0;
  for (int s = 0; s < 3; ++s) {
    OperatorRestore r = restore_for(sections, s, 3);
    auto restored = rocks<int64_t>(&clock, "r" + std::to_string(s));
    restored->restore(r);
    check(*restored, 3000, [&](int64_t k) { return runtime::subtask_of_key_group(runtime::key_group_of(k, 128), 128, 3) == s; });
    total += restored->entries("count");
  }
  EXPECT_EQ(total, 3000u);
}

TEST_F(RocksDbStateTest, CheckpointsMoveBetweenHeapAndRocksDb) {
  ManualClock clock;
  auto all = [](int64_t) { return true; };
  // heap -> rocksdb
  state::HeapKeyedStateBackend<int64_t> heap(&clock);
  fill(heap, 2000);
  Sections from_heap;
  heap.snapshot(from_heap);
  auto db = rocks<int64_t>(&clock);
  db->restore(restore_for(from_heap, 0, 1));
  check(*db, 2000, all);
  // rocksdb -> heap, at parallelism 2
  Sections from_rocks;
  db->snapshot(from_rocks);
  EXPECT_EQ(from_rocks.size(), from_heap.size());
  size_t total = 0;
  for (int s = 0; s < 2; ++s) {
    state::HeapKeyedStateBackend<int64_t> back(&clock);
    back.restore(restore_for(from_rocks, s, 2));
    check(back, 2000, [&](int64_t k) { return runtime::subtask_of_key_group(runtime::key_group_of(k, 128), 128, 2) == s; });
    total += back.entries("count");
  }
  EXPECT_EQ(total, 2000u);
  // The bytes of a key group are the same entries either way (order aside): sizes match.
  for (auto& [name, groups] : from_heap)
    for (auto& [g, bytes] : groups) EXPECT_EQ(bytes.size(), from_rocks[name][g].size()) << name << " " << g;
}

TEST_F(RocksDbStateTest, StatesNotAskedForAreCheckpointedUnchanged) {
  ManualClock clock;
  auto db = rocks<int64_t>(&clock);
  fill(*db, 500);
  Sections first;
  db->snapshot(first);
  auto again = rocks<int64_t>(&clock, "again");
  again->restore(restore_for(first, 0, 1));
  auto count = again->value_state(ValueStateDescriptor<int64_t>{"count"});  // only this one
  int64_t k = 7;
  again->set_current_key(&k);
  count.update(-1);
  Sections second;
  again->snapshot(second);
  EXPECT_EQ(second["state/names"], first["state/names"]);
  EXPECT_EQ(second["state/map"], first["state/map"]);
  EXPECT_NE(second["state/count"], first["state/count"]);
}

// --- jobs ------------------------------------------------------------------------------

struct KeyStats {
  int64_t key;
  int64_t count;
  int64_t sum;
  int64_t max;
  size_t recent;  // list state: the last values, at most 3
  size_t residues;  // map state: distinct value % 7
  bool operator==(const KeyStats&) const = default;
  auto operator<=>(const KeyStats&) const = default;
};

// Every state kind at once, per key.
class Stats final : public KeyedProcessFunction<int64_t, int64_t, KeyStats> {
 public:
  void open(const SubtaskInfo&) override {
    count_ = get_state(ValueStateDescriptor<std::pair<int64_t, int64_t>>{"count"});
    max_ = get_reducing_state(ReducingStateDescriptor<int64_t>{"max", [](const int64_t& a, const int64_t& b) { return std::max(a, b); }});
    recent_ = get_list_state(ListStateDescriptor<int64_t>{"recent"});
    residues_ = get_map_state(MapStateDescriptor<int64_t, int64_t>{"residues"});
  }
  void process_element(const int64_t& v, Context& ctx, Collector<KeyStats>& out) override {
    auto c = count_.value_or({0, 0});
    c.first += 1;
    c.second += v;
    count_.update(c);
    max_.add(v);
    auto recent = recent_.get();
    recent.push_back(v);
    if (recent.size() > 3) recent.erase(recent.begin());
    recent_.update(recent);
    residues_.put(v % 7, v);
    out.collect({ctx.current_key(), c.first, c.second, *max_.get(), recent.size(), residues_.entries().size()});
  }

 private:
  ValueState<std::pair<int64_t, int64_t>> count_;
  ReducingState<int64_t> max_;
  ListState<int64_t> recent_;
  MapState<int64_t, int64_t> residues_;
};

struct StatsRun {
  JobClient client;
  std::shared_ptr<Collected<KeyStats>> out;
};

StatsRun start_stats(StateBackend backend, const fs::path& dir, int parallelism, int64_t total,
                std::shared_ptr<std::atomic<int64_t>> limit, const std::string& restore = "",
                const fs::path& checkpoints = {}) {
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  env.set_state_backend(backend, (dir / "working").string());
  if (!restore.empty()) env.restore_from(restore);
  if (!checkpoints.empty()) env.enable_checkpointing(std::chrono::milliseconds(20), checkpoints.string());
  auto out = std::make_shared<Collected<KeyStats>>();
  env.from_source(testing::GatedSource(total, std::move(limit)), WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "numbers")
      .set_parallelism(1)
      .uid("numbers")
      .key_by([](const int64_t& v) { return v % 97; })
      .process(Stats())
      .uid("stats")
      .sink_to(CollectSink<KeyStats>(out));
  return {env.execute_async("stats"), out};
}

std::vector<KeyStats> sorted(std::vector<KeyStats> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(RocksDbStateTest, AJobGivesTheSameResultsOnBothBackends) {
  auto unlimited = std::make_shared<std::atomic<int64_t>>(1 << 30);
  StatsRun heap = start_stats(StateBackend::heap, dir_, 2, 20000, unlimited);
  heap.client.wait();
  StatsRun on_rocks = start_stats(StateBackend::rocksdb, dir_, 2, 20000, unlimited);
  on_rocks.client.wait();
  auto want = sorted(heap.out->values());
  ASSERT_EQ(want.size(), 20000u);
  EXPECT_EQ(sorted(on_rocks.out->values()), want);
  // The subtasks' working directories are gone with the job.
  EXPECT_TRUE(!fs::exists(dir_ / "working") || fs::is_empty(dir_ / "working"));
}

TEST_F(RocksDbStateTest, WorkingDirectoriesOfDeadProcessesAreRemoved) {
  fs::path stale = dir_ / "working" / "stats-0-2147483000-0";  // a pid above any pid_max
  fs::path live = dir_ / "working" / ("stats-0-" + std::to_string(::getppid()) + "-0");
  fs::create_directories(stale);
  fs::create_directories(live);
  StatsRun run = start_stats(StateBackend::rocksdb, dir_, 2, 100, std::make_shared<std::atomic<int64_t>>(1 << 30));
  run.client.wait();
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
}

// Stops a run on `from` at 8,000 records with a savepoint, resumes on `to` at parallelism
// 3; the union of both outputs is what one uninterrupted heap run gives.
void savepoint_moves(StateBackend from, StateBackend to, const fs::path& dir) {
  auto limit = std::make_shared<std::atomic<int64_t>>(8000);
  StatsRun first = start_stats(from, dir, 2, 20000, limit);
  ASSERT_TRUE(testing::eventually([&] { return first.out->size() >= 8000; }));
  std::string path = first.client.stop_with_savepoint((dir / "savepoints").string());
  first.client.wait();
  auto unlimited = std::make_shared<std::atomic<int64_t>>(1 << 30);
  StatsRun second = start_stats(to, dir, 3, 20000, unlimited, path);
  second.client.wait();
  StatsRun reference = start_stats(StateBackend::heap, dir, 1, 20000, unlimited);
  reference.client.wait();
  auto got = first.out->values();
  auto more = second.out->values();
  got.insert(got.end(), more.begin(), more.end());
  EXPECT_EQ(sorted(got), sorted(reference.out->values()));
}

TEST_F(RocksDbStateTest, SavepointOfRocksDbResumesOnHeapAtAnotherParallelism) {
  savepoint_moves(StateBackend::rocksdb, StateBackend::heap, dir_);
}

TEST_F(RocksDbStateTest, SavepointOfHeapResumesOnRocksDbAtAnotherParallelism) {
  savepoint_moves(StateBackend::heap, StateBackend::rocksdb, dir_);
}

TEST_F(RocksDbStateTest, SavepointOfRocksDbResumesOnRocksDb) {
  savepoint_moves(StateBackend::rocksdb, StateBackend::rocksdb, dir_);
}

// --- native RocksDB checkpoints --------------------------------------------------------

// Polls until `done`, for at most a minute (the machine may be loaded).
template <class F>
bool within_a_minute(F done) {
  for (int i = 0; i < 6000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

std::vector<CheckpointId> client_checkpoint_ids(const JobClient& client) {
  std::vector<CheckpointId> ids;
  for (auto& c : client.checkpoints())
    if (!c.savepoint && c.status == CheckpointStatus::completed) ids.push_back(c.id);
  return ids;
}

size_t completed(const JobClient& client) {
  size_t n = 0;
  for (auto& c : client.checkpoints()) n += !c.savepoint && c.status == CheckpointStatus::completed;
  return n;
}

// A RocksDB run at parallelism 2 with checkpoints every 20 ms into dir/chk; it stops taking
// records at 8,000 and is cancelled once three checkpoints completed after the 8,000th
// result (one at a time: the newest two were triggered after it, so they hold exactly that
// state). Returns the newest checkpoint's path.
std::string checkpointed_run(const fs::path& dir, std::vector<KeyStats>& out) {
  auto limit = std::make_shared<std::atomic<int64_t>>(8000);
  StatsRun run = start_stats(StateBackend::rocksdb, dir, 2, 20000, limit, "", dir / "chk");
  EXPECT_TRUE(within_a_minute([&] { return run.out->size() >= 8000; }));
  size_t before = completed(run.client);
  EXPECT_TRUE(within_a_minute([&] { return completed(run.client) >= before + 3; }));
  run.client.cancel();
  run.client.wait();
  out = run.out->values();
  EXPECT_EQ(out.size(), 8000u);
  auto newest = checkpoint::latest_valid_checkpoint(dir / "chk");
  EXPECT_TRUE(newest);
  return newest ? newest->path.string() : std::string();
}

// Resumes `checkpoint` on `to` at `parallelism`: the first run's results and the resumed
// run's are those of one uninterrupted run.
void resumes_exactly(const fs::path& dir, const std::vector<KeyStats>& first, const std::string& checkpoint,
                     StateBackend to, int parallelism) {
  auto unlimited = std::make_shared<std::atomic<int64_t>>(1 << 30);
  StatsRun second = start_stats(to, dir, parallelism, 20000, unlimited, checkpoint);
  second.client.wait();
  StatsRun reference = start_stats(StateBackend::heap, dir, 1, 20000, unlimited);
  reference.client.wait();
  auto got = first;
  auto more = second.out->values();
  got.insert(got.end(), more.begin(), more.end());
  EXPECT_EQ(sorted(got), sorted(reference.out->values()));
}

TEST_F(RocksDbStateTest, PeriodicCheckpointsHoldRocksDbsOwnCheckpoint) {
  std::vector<KeyStats> first;
  std::string path = checkpointed_run(dir_, first);
  ASSERT_FALSE(path.empty());
  // One database per subtask, beside the state files (timers, source offsets).
  for (int s = 0; s < 2; ++s) {
    fs::path db = fs::path(path) / ("stats." + std::to_string(s) + ".rocksdb");
    EXPECT_TRUE(fs::exists(db / "CURRENT")) << db;
    EXPECT_TRUE(fs::exists(fs::path(path) / ("stats." + std::to_string(s) + ".state")));
  }
  // Nothing staged is left behind: the working directory is empty once the job ended.
  EXPECT_TRUE(!fs::exists(dir_ / "working") || fs::is_empty(dir_ / "working"));
}

TEST_F(RocksDbStateTest, NativeCheckpointRestoresAtTheSameParallelism) {
  std::vector<KeyStats> first;
  std::string path = checkpointed_run(dir_, first);
  ASSERT_FALSE(path.empty());
  resumes_exactly(dir_, first, path, StateBackend::rocksdb, 2);
  // The checkpoint was read, never written (its files still match its manifest).
  EXPECT_NO_THROW(checkpoint::read_checkpoint(path));
}

TEST_F(RocksDbStateTest, NativeCheckpointRestoresAtAnotherParallelism) {
  std::vector<KeyStats> first;
  std::string path = checkpointed_run(dir_, first);
  ASSERT_FALSE(path.empty());
  resumes_exactly(dir_, first, path, StateBackend::rocksdb, 3);
}

TEST_F(RocksDbStateTest, NativeCheckpointRestoresIntoTheHeapAtTheSameParallelism) {
  std::vector<KeyStats> first;
  std::string path = checkpointed_run(dir_, first);
  ASSERT_FALSE(path.empty());
  resumes_exactly(dir_, first, path, StateBackend::heap, 2);
}

TEST_F(RocksDbStateTest, NativeCheckpointRestoresIntoTheHeapAtAnotherParallelism) {
  std::vector<KeyStats> first;
  std::string path = checkpointed_run(dir_, first);
  ASSERT_FALSE(path.empty());
  resumes_exactly(dir_, first, path, StateBackend::heap, 1);
}

TEST_F(RocksDbStateTest, HeapCheckpointRestoresIntoRocksDb) {
  auto limit = std::make_shared<std::atomic<int64_t>>(8000);
  StatsRun run = start_stats(StateBackend::heap, dir_, 2, 20000, limit, "", dir_ / "chk");
  ASSERT_TRUE(within_a_minute([&] { return run.out->size() >= 8000; }));
  size_t before = completed(run.client);
  ASSERT_TRUE(within_a_minute([&] { return completed(run.client) >= before + 2; }));
  run.client.cancel();
  run.client.wait();
  auto newest = checkpoint::latest_valid_checkpoint(dir_ / "chk");
  ASSERT_TRUE(newest);
  resumes_exactly(dir_, run.out->values(), newest->path.string(), StateBackend::rocksdb, 2);
}

TEST_F(RocksDbStateTest, DamagedNativeCheckpointsAreSkippedForThePreviousGoodOne) {
  std::vector<KeyStats> first;
  std::string path = checkpointed_run(dir_, first);
  ASSERT_FALSE(path.empty());
  auto all = checkpoint::list_checkpoints(dir_ / "chk");
  ASSERT_GE(all.size(), 3u);
  // The newest lost an SST file (removing one link leaves the older checkpoints' links).
  fs::path newest_db = all[0].second / "stats.1.rocksdb";
  bool removed = false;
  for (auto& e : fs::directory_iterator(newest_db))
    if (e.path().extension() == ".sst" && !removed) removed = fs::remove(e.path());
  ASSERT_TRUE(removed);
  EXPECT_THROW(checkpoint::read_checkpoint(all[0].second), checkpoint::CorruptCheckpoint);
  // The next one's MANIFEST (a copy of its own, not a link) was cut short.
  for (auto& e : fs::directory_iterator(all[1].second / "stats.0.rocksdb"))
    if (e.path().filename().string().rfind("MANIFEST", 0) == 0) fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
  EXPECT_THROW(checkpoint::read_checkpoint(all[1].second), checkpoint::CorruptCheckpoint);
  // And one lost its whole database directory.
  fs::remove_all(all[2].second / "stats.0.rocksdb");
  auto good = checkpoint::latest_valid_checkpoint(dir_ / "chk");
  if (all.size() == 3) {
    EXPECT_FALSE(good);
    return;
  }
  ASSERT_TRUE(good);
  EXPECT_EQ(good->id, all[3].first);
}

TEST_F(RocksDbStateTest, ARestartOnTheCheckpointDirSkipsADamagedNativeCheckpoint) {
  std::vector<KeyStats> first;
  std::string path = checkpointed_run(dir_, first);
  ASSERT_FALSE(path.empty());
  auto all = checkpoint::list_checkpoints(dir_ / "chk");
  ASSERT_GE(all.size(), 2u);
  fs::remove_all(all[0].second / "stats.0.rocksdb");
  auto good = checkpoint::latest_valid_checkpoint(dir_ / "chk");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->id, all[1].first);
  // Both were taken after the 8,000th record: the previous one resumes exactly as well.
  resumes_exactly(dir_, first, good->path.string(), StateBackend::rocksdb, 2);
}

TEST_F(RocksDbStateTest, RetentionDeletesOldNativeCheckpoints) {
  auto limit = std::make_shared<std::atomic<int64_t>>(3000);
  StatsRun run = start_stats(StateBackend::rocksdb, dir_, 2, 20000, limit, "", dir_ / "chk");
  ASSERT_TRUE(within_a_minute([&] { return completed(run.client) >= 6; }));
  limit->store(6000);  // new state between checkpoints: new SST files
  size_t before = completed(run.client);
  ASSERT_TRUE(within_a_minute([&] { return completed(run.client) >= before + 4; }));
  run.client.cancel();
  run.client.wait();
  auto all = checkpoint::list_checkpoints(dir_ / "chk");
  EXPECT_LE(all.size(), 3u);  // the default retention
  ASSERT_FALSE(all.empty());
  EXPECT_GT(all.back().first, 3u);
  for (auto& c : client_checkpoint_ids(run.client)) {
    if (std::none_of(all.begin(), all.end(), [&](auto& a) { return a.first == c; })) {
      EXPECT_FALSE(fs::exists(dir_ / "chk" / ("chk-" + std::to_string(c)))) << c;
    }
  }
  // Only whole checkpoints and the working directory are left: no staged databases.
  for (auto& e : fs::directory_iterator(dir_ / "chk")) {
    std::string name = e.path().filename().string();
    EXPECT_EQ(name.rfind("chk-", 0), 0u) << name;
    EXPECT_EQ(name.find(".inprogress"), std::string::npos) << name;
  }
  EXPECT_TRUE(!fs::exists(dir_ / "working") || fs::is_empty(dir_ / "working"));
}

TEST_F(RocksDbStateTest, NativeCheckpointsCanBeTurnedOff) {
  auto limit = std::make_shared<std::atomic<int64_t>>(2000);
  StreamEnvironment env;
  env.set_parallelism(2);
  StateBackendSettings settings;
  settings.kind = StateBackend::rocksdb;
  settings.dir = (dir_ / "working").string();
  settings.native_checkpoints = false;
  env.set_state_backend(settings);
  env.enable_checkpointing(std::chrono::milliseconds(20), (dir_ / "chk").string());
  auto out = std::make_shared<Collected<KeyStats>>();
  env.from_source(testing::GatedSource(20000, limit), WatermarkStrategy<int64_t>::for_monotonous_timestamps(), "numbers")
      .set_parallelism(1)
      .uid("numbers")
      .key_by([](const int64_t& v) { return v % 97; })
      .process(Stats())
      .uid("stats")
      .sink_to(CollectSink<KeyStats>(out));
  JobClient client = env.execute_async("stats");
  ASSERT_TRUE(within_a_minute([&] { return completed(client) >= 2; }));
  client.cancel();
  client.wait();
  auto newest = checkpoint::list_checkpoints(dir_ / "chk");
  ASSERT_FALSE(newest.empty());
  EXPECT_FALSE(fs::exists(newest[0].second / "stats.0.rocksdb"));
  EXPECT_NO_THROW(checkpoint::read_checkpoint(newest[0].second));
}

TEST(StateBackendFlag, Parses) {
  EXPECT_EQ(runtime::parse_state_backend("rocksdb"), StateBackend::rocksdb);
  EXPECT_EQ(runtime::parse_state_backend("heap"), StateBackend::heap);
  EXPECT_FALSE(runtime::parse_state_backend("leveldb"));
}

}  // namespace
}  // namespace sluice
