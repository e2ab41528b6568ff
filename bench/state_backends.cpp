// bench_state_backends: keyed state in the heap and RocksDB backends, through a real job.
//
//  1. A job counts N distinct keys (ValueState<(count, sum)> per key, default N = 1,000,000)
//     on each backend; a savepoint is taken once every record is in: its duration and size.
//  2. Recovery: a new job starts from that savepoint at parallelism 2 (rescaled), and
//     re-reads a sample of the keys, which must find their restored counts; the time from
//     the job's start to its first record, against the same job started without state.
//     The savepoint is read back and every key's entry counted: the total must be N.
//  1b. Periodic checkpoints: the same N keys filled again, with a checkpoint interval longer
//     than the fill; the first two checkpoints after the last record, duration and size;
//     RocksDB with its native checkpoints (the default) and with them off (the portable
//     snapshot), in the same run. Then recovery from the newest: a job at parallelism 1 (the
//     native files opened as they are) and at 2 (key groups extracted) re-reads the sample.
//  3. RocksDB only, without a job: the portable snapshot of N keys (what checkpoints use)
//     against RocksDB's own checkpoint (hard-linked SST files), duration and size.
//
// `--keys 10000000 --backends rocksdb` is the 10-million-key run of issue 6 (ctest label
// `large`). Each figure is printed as a line, and as `RESULT state_backends <what> ...`.
// Exit status 0 when every check passed, 1 when one failed, 2 on bad flags.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sluice/sluice.h"
#include "common/clock.h"
#include "stream/checkpoint/checkpoint_storage.h"
#include "stream/state/keyed_state_backend.h"

using namespace sluice;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void result(const std::string& what, double value, const std::string& unit, double baseline = NAN,
            const std::string& baseline_what = "") {
  std::printf("RESULT state_backends %s value=%.6g unit=%s", what.c_str(), value, unit.c_str());
  if (!std::isnan(baseline) && baseline != 0)
    std::printf(" baseline=%.6g baseline_what=%s ratio=%.3f", baseline, baseline_what.c_str(), value / baseline);
  std::printf("\n");
  std::fflush(stdout);
}

uint64_t dir_bytes(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  return n;
}

// Record i (a checkpointed position) is the value i for i < keys (one record per key), then
// a sample: keys spread over the whole range, `sample` of them. Phase 1 stops at `keys` and
// idles (unbounded, until cancelled); phase 2 ends after the sample.
class KeySource final : public Source<int64_t> {
 public:
  KeySource(int64_t keys, int64_t sample, bool idle_at_end) : keys_(keys), sample_(sample), idle_(idle_at_end) {}
  std::unique_ptr<SourceReader<int64_t>> create_reader(const SubtaskInfo&) override {
    return std::make_unique<Reader>(keys_, sample_, idle_);
  }
  bool bounded() const override { return !idle_; }

 private:
  class Reader final : public SourceReader<int64_t> {
   public:
    Reader(int64_t keys, int64_t sample, bool idle) : keys_(keys), sample_(sample), idle_(idle) {}
    SourceStatus poll(SourceOutput<int64_t>& out) override {
      int64_t end = idle_ ? keys_ : keys_ + sample_;
      if (next_ >= end) {
        if (!idle_) return SourceStatus::end_of_input;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        return SourceStatus::nothing_available;
      }
      for (int n = 0; n < 256 && next_ < end; ++n, ++next_) {
        int64_t v = next_ < keys_ ? next_ : keys_ + ((next_ - keys_) * (keys_ / sample_)) % keys_;
        out.collect(v, kNoTimestamp);
      }
      return SourceStatus::more_available;
    }
    std::string snapshot_state(CheckpointId) override { return std::to_string(next_); }
    void restore_state(const std::vector<std::string_view>& states) override {
      if (states.size() == 1) next_ = std::stoll(std::string(states[0]));
    }

   private:
    int64_t keys_, sample_;
    bool idle_;
    int64_t next_ = 0;
  };
  int64_t keys_, sample_;
  bool idle_;
};

struct Counters {
  std::atomic<int64_t> processed{0};
  std::atomic<int64_t> first_record_ns{0};  // steady clock of the first record
  std::atomic<int64_t> checked{0};
  std::atomic<int64_t> wrong{0};
};

// Count and sum per key (key = v mod keys). A record of the sample (v >= keys) checks that
// its key was restored: count 1 and sum = key before it.
class CountKeys final : public KeyedProcessFunction<int64_t, int64_t, int64_t> {
 public:
  CountKeys(int64_t keys, std::shared_ptr<Counters> c) : keys_(keys), c_(std::move(c)) {}
  void open(const SubtaskInfo&) override { count_ = get_state(ValueStateDescriptor<std::pair<int64_t, int64_t>>{"count"}); }
  void process_element(const int64_t& v, Context& ctx, Collector<int64_t>&) override {
    if (c_->processed.load(std::memory_order_relaxed) == 0) {
      int64_t zero = 0;
      c_->first_record_ns.compare_exchange_strong(zero, Clock::now().time_since_epoch().count());
    }
    auto c = count_.value_or({0, 0});
    if (v >= keys_) {
      c_->checked.fetch_add(1, std::memory_order_relaxed);
      if (c.first != 1 || c.second != ctx.current_key()) c_->wrong.fetch_add(1, std::memory_order_relaxed);
    }
    c.first += 1;
    c.second += v;
    count_.update(c);
    c_->processed.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  int64_t keys_;
  std::shared_ptr<Counters> c_;
  ValueState<std::pair<int64_t, int64_t>> count_;
};

class NullSink final : public Sink<int64_t> {
 public:
  std::unique_ptr<SinkWriter<int64_t>> create_writer(const SubtaskInfo&) override { return std::make_unique<Writer>(); }

 private:
  struct Writer final : SinkWriter<int64_t> {
    void write(const int64_t&, const SinkContext&) override {}
  };
};

struct Job {
  JobClient client;
  std::shared_ptr<Counters> counters;
  Clock::time_point started;
};

// `checkpoints`: periodic checkpoints every second into that directory.
Job start(StateBackendSettings backend, const fs::path& dir, int64_t keys, int64_t sample, bool idle, int parallelism,
          const std::string& restore, const fs::path& checkpoints = {}) {
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  env.set_max_parallelism(128);
  if (backend.dir.empty()) backend.dir = (dir / "working").string();
  env.set_state_backend(backend);
  if (!restore.empty()) env.restore_from(restore);
  if (!checkpoints.empty()) env.enable_checkpointing(std::chrono::seconds(1), checkpoints.string());
  auto counters = std::make_shared<Counters>();
  auto started = Clock::now();
  env.from_source(KeySource(keys, sample, idle), WatermarkStrategy<int64_t>::no_watermarks(), "keys")
      .set_parallelism(1)
      .uid("keys")
      .key_by([keys](const int64_t& v) { return v % keys; })
      .process(CountKeys(keys, counters))
      .uid("count")
      .sink_to(NullSink());
  return {env.execute_async("state-backends"), counters, started};
}

Job start(StateBackend backend, const fs::path& dir, int64_t keys, int64_t sample, bool idle, int parallelism,
          const std::string& restore) {
  StateBackendSettings settings;
  settings.kind = backend;
  return start(settings, dir, keys, sample, idle, parallelism, restore);
}

const char* name_of(StateBackend b) { return b == StateBackend::heap ? "heap" : "rocksdb"; }

// Two periodic checkpoints of the same N keys: the first after the last record (RocksDB's
// native checkpoint: the flush of what the memtables still hold, then hard links) and the
// next with nothing changed in between (native: hard links to the same SST files).
struct Periodic {
  double first_ms = 0, first_bytes = 0, next_ms = 0, next_bytes = 0;
  // Recovery from the newest of them, start to first record: at parallelism 1 (the same
  // key groups: RocksDB opens the native checkpoint's files, hard-linked) and 2 (rescaled:
  // each subtask extracts its key groups).
  double recovery_same_ms = 0, recovery_rescaled_ms = 0;
};

double first_record_s(const Job& j) {
  int64_t ns = j.counters->first_record_ns.load();
  return std::chrono::duration<double>(Clock::time_point(Clock::duration(ns)) - j.started).count();
}

struct Figures {
  double fill_s = 0, checkpoint_ms = 0, checkpoint_bytes = 0, recovery_ms = 0, fresh_start_ms = 0, working_bytes = 0;
  Periodic periodic;         // heap, or RocksDB with native checkpoints
  Periodic periodic_portable;  // RocksDB with native checkpoints off: the portable snapshot
};

// Fills N keys again in a job at parallelism 1 with periodic checkpoints whose interval is
// longer than the fill (phase 1 timed it), so that none runs during the fill; the first two
// checkpoints triggered after the last record: their duration and size. `native`: RocksDB's
// own checkpoints (else the portable snapshot).
bool periodic_checkpoints(StateBackend backend, bool native, const fs::path& dir, int64_t keys, double fill_s,
                          Periodic& p) {
  StateBackendSettings settings;
  settings.kind = backend;
  settings.native_checkpoints = native;
  fs::path chk = dir / (native ? "chk-native" : "chk-portable");
  auto interval = std::chrono::milliseconds(std::max<int64_t>(1000, int64_t(fill_s * 1500) + 1000));
  StreamEnvironment env;
  env.set_parallelism(1);
  env.set_max_parallelism(128);
  settings.dir = (dir / "working").string();
  env.set_state_backend(settings);
  env.enable_checkpointing(interval, chk.string());
  auto counters = std::make_shared<Counters>();
  env.from_source(KeySource(keys, 1, true), WatermarkStrategy<int64_t>::no_watermarks(), "keys")
      .set_parallelism(1)
      .uid("keys")
      .key_by([keys](const int64_t& v) { return v % keys; })
      .process(CountKeys(keys, counters))
      .uid("count")
      .sink_to(NullSink());
  JobClient client = env.execute_async("state-backends-periodic");
  auto deadline = Clock::now() + std::chrono::minutes(30);
  while (counters->processed.load() < keys && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int64_t filled_ms = wall_clock_ms();
  std::vector<checkpoint::CheckpointStats> done;
  while (Clock::now() < deadline) {
    done.clear();
    for (auto& c : client.checkpoints())
      if (!c.savepoint && c.status == checkpoint::CheckpointStatus::completed && c.trigger_ms >= filled_ms) done.push_back(c);
    if (done.size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  client.cancel();
  client.wait();
  bool ok = done.size() >= 2;
  if (!ok) {
    std::printf("FAIL %s: fewer than two periodic checkpoints completed after the fill\n", name_of(backend));
  } else {
    p.first_ms = double(done[0].duration_ms);
    p.first_bytes = double(done[0].bytes);
    p.next_ms = double(done[1].duration_ms);
    p.next_bytes = double(done[1].bytes);
    auto loaded = checkpoint::read_checkpoint(done[1].path);
    if (native && backend == StateBackend::rocksdb && loaded->operators.at("count").subtasks.at(0).native.empty()) {
      std::printf("FAIL rocksdb: the periodic checkpoint holds no native RocksDB checkpoint\n");
      ok = false;
    }
    int64_t sample = std::max<int64_t>(1, std::min<int64_t>(keys / 10, 100000));
    for (int parallelism : {1, 2}) {
      StateBackendSettings again = settings;
      again.dir.clear();
      Job restored = start(again, dir, keys, sample, false, parallelism, done[1].path);
      restored.client.wait();
      (parallelism == 1 ? p.recovery_same_ms : p.recovery_rescaled_ms) = first_record_s(restored) * 1000;
      if (restored.counters->checked.load() != sample || restored.counters->wrong.load() != 0) {
        std::printf("FAIL %s%s: from a periodic checkpoint at parallelism %d, %lld of %lld sampled keys checked, %lld wrong\n",
                    name_of(backend), native ? "" : " (portable)", parallelism, (long long)restored.counters->checked.load(),
                    (long long)sample, (long long)restored.counters->wrong.load());
        ok = false;
      }
    }
  }
  fs::remove_all(chk);
  return ok;
}

bool run_backend(StateBackend backend, const fs::path& root, int64_t keys, Figures& f) {
  fs::path dir = root / name_of(backend);
  fs::remove_all(dir);
  fs::create_directories(dir);
  int64_t sample = std::max<int64_t>(1, std::min<int64_t>(keys / 10, 100000));

  // 1. Fill, then a savepoint of every key.
  Job fill = start(backend, dir, keys, sample, true, 1, "");
  while (fill.counters->processed.load() < keys) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.fill_s = seconds_since(fill.started);
  f.working_bytes = double(dir_bytes(dir / "working"));
  std::string savepoint = fill.client.trigger_savepoint((dir / "savepoints").string());
  auto stats = fill.client.checkpoints().back();
  f.checkpoint_ms = double(stats.duration_ms);
  f.checkpoint_bytes = double(stats.bytes);
  fill.client.cancel();
  fill.client.wait();

  // 1b. Periodic checkpoints of the same keys (RocksDB: native, then portable).
  bool ok = periodic_checkpoints(backend, true, dir, keys, f.fill_s, f.periodic);
  if (backend == StateBackend::rocksdb) ok &= periodic_checkpoints(backend, false, dir, keys, f.fill_s, f.periodic_portable);

  // 2. Recovery at parallelism 2, then the same job without state.
  Job restored = start(backend, dir, keys, sample, false, 2, savepoint);
  restored.client.wait();
  f.recovery_ms = first_record_s(restored) * 1000;
  if (restored.counters->checked.load() != sample || restored.counters->wrong.load() != 0) {
    std::printf("FAIL %s: %lld of %lld sampled keys checked, %lld wrong\n", name_of(backend),
                (long long)restored.counters->checked.load(), (long long)sample, (long long)restored.counters->wrong.load());
    ok = false;
  }
  Job fresh = start(backend, dir, keys, keys + 1, false, 2, "");  // no state: every record is new
  while (fresh.counters->first_record_ns.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  f.fresh_start_ms = first_record_s(fresh) * 1000;
  fresh.client.cancel();
  try {
    fresh.client.wait();
  } catch (const std::exception&) {
  }

  // The total: every key's entry is in the savepoint.
  auto loaded = checkpoint::read_checkpoint(savepoint);
  int64_t total = 0;
  for (auto& subtask : loaded->operators.at("count").subtasks) {
    auto it = subtask.keyed.find("state/count");
    if (it == subtask.keyed.end()) continue;
    for (auto& [g, bytes] : it->second) {
      StateReader r(bytes);
      while (!r.done()) {
        (void)read_value<int64_t>(r);
        (void)read_value<std::pair<int64_t, int64_t>>(r);
        ++total;
      }
    }
  }
  if (total != keys) {
    std::printf("FAIL %s: the savepoint holds %lld keys, not %lld\n", name_of(backend), (long long)total, (long long)keys);
    ok = false;
  }
  fs::remove_all(dir);
  return ok;
}

// RocksDB's own checkpoint (hard links) against the portable snapshot, without a job.
void native_checkpoint(const fs::path& root, int64_t keys) {
  fs::path dir = root / "native";
  fs::remove_all(dir);
  fs::create_directories(dir);
  WallClock clock;
  state::RocksDbKeyedStateBackend<int64_t> db((dir / "db").string(), &clock);
  auto count = db.value_state(ValueStateDescriptor<std::pair<int64_t, int64_t>>{"count"});
  for (int64_t k = 0; k < keys; ++k) {
    db.set_current_key(&k);
    count.update({1, k});
  }
  db.write_back();
  auto t = Clock::now();
  std::map<std::string, std::map<int, std::string>> sections;
  db.snapshot(sections);
  double portable_ms = seconds_since(t) * 1000;
  uint64_t portable_bytes = 0;
  for (auto& [n, groups] : sections)
    for (auto& [g, b] : groups) portable_bytes += b.size();
  t = Clock::now();
  db.store().checkpoint_to((dir / "chk").string());
  double native_ms = seconds_since(t) * 1000;
  uint64_t native_bytes = dir_bytes(dir / "chk");
  std::printf("%lld keys, no job: portable snapshot %.0f ms, %.1f MB in memory; RocksDB checkpoint (flush + hard links) %.0f ms, %.1f MB of files (hard-linked, not copied)\n",
              (long long)keys, portable_ms, portable_bytes / 1e6, native_ms, native_bytes / 1e6);
  result("native_checkpoint_ms", native_ms, "ms", portable_ms, "portable_snapshot_ms");
  result("native_checkpoint_bytes", double(native_bytes), "bytes", double(portable_bytes), "portable_snapshot_bytes");
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t keys = 1000000;
  bool heap = true, rocks = true, native = true;
  fs::path root = fs::temp_directory_path() / ("sluice-bench-state-" + std::to_string(::getpid()));
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--smoke") {
      keys = 20000;
    } else if (a == "--keys" && i + 1 < argc) {
      keys = std::stoll(argv[++i]);
    } else if (a == "--backends" && i + 1 < argc) {
      std::string b = argv[++i];
      heap = b.find("heap") != std::string::npos;
      rocks = b.find("rocksdb") != std::string::npos;
      native = rocks;
    } else if (a == "--dir" && i + 1 < argc) {
      root = fs::path(argv[++i]) / ("sluice-bench-state-" + std::to_string(::getpid()));
    } else {
      std::fprintf(stderr, "usage: bench_state_backends [--smoke] [--keys N] [--backends heap,rocksdb] [--dir D]\n");
      return 2;
    }
  }
  if (keys < 10) {
    std::fprintf(stderr, "--keys: at least 10\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  std::printf("# bench_state_backends: %lld keys, load %s\n", (long long)keys,
              [] {
                char buf[64] = {};
                if (FILE* f = std::fopen("/proc/loadavg", "r")) {
                  if (!std::fgets(buf, sizeof buf, f)) buf[0] = 0;
                  std::fclose(f);
                }
                std::string s(buf);
                return s.substr(0, s.find(' ', s.find(' ', s.find(' ') + 1) + 1));
              }().c_str());
  bool ok = true;
  Figures h, r;
  auto report = [&](StateBackend b, const Figures& f, const Figures* base) {
    std::string n = name_of(b);
    std::printf("%s: fill %.1f s (%.0f records/s), working dir %.1f MB; savepoint %.0f ms, %.1f MB; recovery (start to first record) %.0f ms, without state %.0f ms\n",
                n.c_str(), f.fill_s, keys / f.fill_s, f.working_bytes / 1e6, f.checkpoint_ms, f.checkpoint_bytes / 1e6,
                f.recovery_ms, f.fresh_start_ms);
    double nan = NAN;
    result("fill_records_per_s_" + n, keys / f.fill_s, "records/s", base ? keys / base->fill_s : nan, "heap");
    result("checkpoint_ms_" + n, f.checkpoint_ms, "ms", base ? base->checkpoint_ms : nan, "heap");
    result("checkpoint_bytes_" + n, f.checkpoint_bytes, "bytes", base ? base->checkpoint_bytes : nan, "heap");
    result("recovery_ms_" + n, f.recovery_ms, "ms", f.fresh_start_ms, "start_without_state_ms");
    if (base) result("recovery_vs_heap_" + n, f.recovery_ms, "ms", base->recovery_ms, "heap");
    if (b == StateBackend::rocksdb) result("working_dir_bytes_rocksdb", f.working_bytes, "bytes");
    // Periodic checkpoints: heap (portable), RocksDB native against RocksDB portable.
    if (b == StateBackend::heap) {
      std::printf("heap: periodic checkpoint %.0f ms, %.1f MB; the next one %.0f ms, %.1f MB\n", f.periodic.first_ms,
                  f.periodic.first_bytes / 1e6, f.periodic.next_ms, f.periodic.next_bytes / 1e6);
      result("periodic_checkpoint_ms_heap", f.periodic.first_ms, "ms");
      result("periodic_checkpoint_bytes_heap", f.periodic.first_bytes, "bytes");
      result("periodic_checkpoint_next_ms_heap", f.periodic.next_ms, "ms");
      std::printf("heap: recovery from the periodic checkpoint %.0f ms at parallelism 1, %.0f ms at 2\n",
                  f.periodic.recovery_same_ms, f.periodic.recovery_rescaled_ms);
      result("checkpoint_recovery_ms_heap_same_parallelism", f.periodic.recovery_same_ms, "ms");
      result("checkpoint_recovery_ms_heap_rescaled", f.periodic.recovery_rescaled_ms, "ms");
    } else {
      const Periodic& nat = f.periodic;
      const Periodic& por = f.periodic_portable;
      std::printf("rocksdb: periodic checkpoint native %.0f ms, %.1f MB (the next, nothing changed: %.0f ms, %.1f MB); "
                  "portable %.0f ms, %.1f MB (next %.0f ms)\n",
                  nat.first_ms, nat.first_bytes / 1e6, nat.next_ms, nat.next_bytes / 1e6, por.first_ms,
                  por.first_bytes / 1e6, por.next_ms);
      result("periodic_checkpoint_ms_rocksdb_native", nat.first_ms, "ms", por.first_ms, "rocksdb_portable");
      result("periodic_checkpoint_bytes_rocksdb_native", nat.first_bytes, "bytes", por.first_bytes, "rocksdb_portable");
      result("periodic_checkpoint_next_ms_rocksdb_native", nat.next_ms, "ms", por.next_ms, "rocksdb_portable");
      result("periodic_checkpoint_ms_rocksdb_portable", por.first_ms, "ms", base ? base->periodic.first_ms : NAN, "heap");
      if (base) result("periodic_checkpoint_ms_rocksdb_native_vs_heap", nat.first_ms, "ms", base->periodic.first_ms, "heap");
      std::printf("rocksdb: recovery from the periodic checkpoint, native %.0f ms at parallelism 1 (files opened), %.0f ms at 2 "
                  "(key groups extracted); portable %.0f ms and %.0f ms\n",
                  nat.recovery_same_ms, nat.recovery_rescaled_ms, por.recovery_same_ms, por.recovery_rescaled_ms);
      result("checkpoint_recovery_ms_rocksdb_native_same_parallelism", nat.recovery_same_ms, "ms", por.recovery_same_ms,
             "rocksdb_portable");
      result("checkpoint_recovery_ms_rocksdb_native_rescaled", nat.recovery_rescaled_ms, "ms", por.recovery_rescaled_ms,
             "rocksdb_portable");
    }
  };
  try {
    if (heap) {
      ok &= run_backend(StateBackend::heap, root, keys, h);
      report(StateBackend::heap, h, nullptr);
    }
    if (rocks) {
      ok &= run_backend(StateBackend::rocksdb, root, keys, r);
      report(StateBackend::rocksdb, r, heap ? &h : nullptr);
    }
    if (native) native_checkpoint(root, keys);
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    ok = false;
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  std::printf("%s\n", ok ? "all checks passed" : "CHECKS FAILED");
  return ok ? 0 : 1;
}
