// bench_engine: the stream engine in process, against what a user would write by hand.
//
//  1. generator -> key_by(user) -> 5 s tumbling event-time count -> discard, records/s, beside
//     a single-threaded loop with a hash map doing the same counting over the same generated
//     records. Ratios: engine at parallelism 1 per core (records per CPU-second of the whole
//     process) and per wall-second, and parallelism 2 over parallelism 1 (scaling).
//  2. bytes per key of ValueState<int64> with 1,000,000 keys (string keys "user-N" and int64
//     keys), measured as heap growth of the state backend.
//
// Exit status 0 when every phase ran (targets met or not), 1 when a phase failed (wrong
// counts), 2 on bad flags. Figures are printed as a markdown report (and --out FILE).
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>

#include "sluice/generator_source.h"
#include "sluice/sluice.h"
#include "sluice/windows.h"
#include "stream/state/heap_keyed_state.h"
#include "support/report.h"

using namespace sluice;
using Clock = std::chrono::steady_clock;

uint64_t bench_seed(int index);

namespace {

constexpr double kPerCoreTarget = 0.5;
constexpr Timestamp kWindowMs = 5000;

struct Click {
  std::string user;
  Timestamp ts = 0;
};

// Deterministic click stream: users drawn by xorshift from `users`; event time advances
// 1 ms every 10 records, so a 5 s window holds 50,000 records.
class ClickGen {
 public:
  ClickGen(uint64_t seed, int users) : state_(seed | 1), users_(users) {}
  void next(Click& out) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    out.user.assign("u");
    out.user += std::to_string(state_ % users_);
    out.ts = static_cast<Timestamp>(i_++ / 10);
  }

 private:
  uint64_t state_;
  int users_;
  uint64_t i_ = 0;
};

struct CountClicks final : AggregateFunction<Click, int64_t, int64_t> {
  int64_t create_accumulator() const override { return 0; }
  void add(const Click&, int64_t& acc) const override { ++acc; }
  int64_t get_result(const int64_t& acc) const override { return acc; }
  int64_t merge(int64_t a, const int64_t& b) const override { return a + b; }
};

// Adds up the counts it receives: the total must equal the records generated.
class SumSink final : public Sink<int64_t> {
 public:
  explicit SumSink(std::shared_ptr<std::atomic<int64_t>> total) : total_(std::move(total)) {}
  std::unique_ptr<SinkWriter<int64_t>> create_writer(const SubtaskInfo&) override { return std::make_unique<Writer>(total_); }

 private:
  struct Writer final : SinkWriter<int64_t> {
    explicit Writer(std::shared_ptr<std::atomic<int64_t>> t) : total(std::move(t)) {}
    void write(const int64_t& v, const SinkContext&) override { local += v; }
    void flush() override { total->fetch_add(local); local = 0; }
    std::shared_ptr<std::atomic<int64_t>> total;
    int64_t local = 0;
  };
  std::shared_ptr<std::atomic<int64_t>> total_;
};

struct Run {
  double wall_s;
  double cpu_s;
  int64_t counted;
};

Run hand_loop(uint64_t records, int users) {
  double cpu0 = bench::self_cpu_seconds();
  auto t0 = Clock::now();
  ClickGen gen(bench_seed(0), users);
  std::unordered_map<std::string, int64_t> counts;
  Timestamp window_end = kWindowMs;
  int64_t counted = 0;
  Click c;
  for (uint64_t i = 0; i < records; ++i) {
    gen.next(c);
    if (c.ts >= window_end) {  // the window is complete: emit every count, start over
      for (auto& [user, n] : counts) counted += n;
      counts.clear();
      window_end += kWindowMs;
    }
    ++counts[c.user];
  }
  for (auto& [user, n] : counts) counted += n;
  return {std::chrono::duration<double>(Clock::now() - t0).count(), bench::self_cpu_seconds() - cpu0, counted};
}

Run engine(uint64_t records, int users, int parallelism) {
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto total = std::make_shared<std::atomic<int64_t>>(0);
  auto source = GeneratorSource<Click>::from_factory(
      [users](const SubtaskInfo& s) {
        auto gen = std::make_shared<ClickGen>(bench_seed(s.index), users);
        return [gen](Click& out, Timestamp& ts) {
          gen->next(out);
          ts = out.ts;
          return true;
        };
      },
      records);
  env.from_source(source, WatermarkStrategy<Click>::for_monotonous_timestamps(), "clicks")
      .key_by([](const Click& c) { return c.user; })
      .window(TumblingEventTimeWindows::of(Duration(kWindowMs)))
      .aggregate(CountClicks{})
      .sink_to(SumSink(total));
  double cpu0 = bench::self_cpu_seconds();
  auto t0 = Clock::now();
  env.execute("bench");
  return {std::chrono::duration<double>(Clock::now() - t0).count(), bench::self_cpu_seconds() - cpu0, total->load()};
}

template <class K, class MakeKey>
double bytes_per_key(int keys, MakeKey make_key) {
  ManualClock clock;
  auto before = mallinfo2().uordblks;
  {
    state::HeapKeyedStateBackend<K> backend(&clock);
    auto count = backend.value_state(ValueStateDescriptor<int64_t>{"count"});
    for (int i = 0; i < keys; ++i) {
      K key = make_key(i);
      backend.set_current_key(&key);
      count.update(i);
    }
    auto after = mallinfo2().uordblks;
    return double(after - before) / keys;
  }
}

}  // namespace

uint64_t bench_seed(int index) { return 0x5eed0000ULL + index; }

int main(int argc, char** argv) {
  uint64_t records = 10'000'000;
  int users = 10'000;
  int keys = 1'000'000;
  std::string out;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--smoke") {
      records = 200'000;
      keys = 10'000;
    } else if (a == "--records" && i + 1 < argc) {
      records = std::stoull(argv[++i]);
    } else if (a == "--users" && i + 1 < argc) {
      users = std::stoi(argv[++i]);
    } else if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else {
      std::cerr << "usage: bench_engine [--smoke] [--records N] [--users N] [--out FILE] [--only engine-p1]\n"
                   "  --only engine-p1: only the engine at parallelism 1, no report (for callgrind counts)\n";
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  if (only == "engine-p1") {
    Run p1 = engine(records, users, 1);
    std::cout << "engine p1 counted " << p1.counted << " of " << records << " records\n";
    return p1.counted == int64_t(records) ? 0 : 1;
  } else if (!only.empty()) {
    std::cerr << "bench_engine: --only takes engine-p1\n";
    return 2;
  }

  Run loop = hand_loop(records, users);
  Run p1 = engine(records, users, 1);
  Run p2 = engine(records, users, 2);
  bool ok = loop.counted == int64_t(records) && p1.counted == int64_t(records) && p2.counted == int64_t(records);

  double loop_rate = records / loop.wall_s;
  double p1_wall = records / p1.wall_s, p1_core = records / p1.cpu_s;
  double p2_wall = records / p2.wall_s;
  double str_b = bytes_per_key<std::string>(keys, [](int i) { return "user-" + std::to_string(i); });
  double int_b = bytes_per_key<int64_t>(keys, [](int i) { return int64_t(i); });

  std::ostringstream r;
  r << "# bench_engine (" << bench::local_time_now() << ", load " << bench::read_first_line("/proc/loadavg") << ")\n\n"
    << "generator -> key_by(user) -> 5 s tumbling event-time count -> discard; " << records << " records, "
    << users << " users\n\n"
    << "| run | records/s (wall) | records/CPU-s | counted |\n|---|---|---|---|\n"
    << "| hand-written loop (1 thread) | " << bench::fmt("%.0f", loop_rate) << " | "
    << bench::fmt("%.0f", records / loop.cpu_s) << " | " << loop.counted << " |\n"
    << "| engine, parallelism 1 | " << bench::fmt("%.0f", p1_wall) << " | " << bench::fmt("%.0f", p1_core) << " | "
    << p1.counted << " |\n"
    << "| engine, parallelism 2 | " << bench::fmt("%.0f", p2_wall) << " | " << bench::fmt("%.0f", records / p2.cpu_s)
    << " | " << p2.counted << " |\n\n"
    << "- engine per core / loop: **" << bench::fmt("%.2f", p1_core / loop_rate) << "** (target >= "
    << kPerCoreTarget << ")\n"
    << "- engine p1 wall / loop: " << bench::fmt("%.2f", p1_wall / loop_rate) << "\n"
    << "- scaling, p2 / p1 (wall): " << bench::fmt("%.2f", p2_wall / p1_wall) << " on "
    << std::thread::hardware_concurrency() << " cores\n\n"
    << "ValueState<int64> with " << keys << " keys: " << bench::fmt("%.1f", str_b) << " bytes/key (string keys \"user-N\"), "
    << bench::fmt("%.1f", int_b) << " bytes/key (int64 keys)\n";
  if (!ok) r << "\nFAILED: a run counted a different number of records than it generated\n";
  std::cout << r.str();
  bench::print_result("engine", "windowed_count_per_core", p1_core, "records/CPU-s", loop_rate, "hand_loop",
                      ">=" + bench::fmt("%.1f", kPerCoreTarget));
  bench::print_result("engine", "windowed_count_p2_wall", p2_wall, "records/s", p1_wall, "engine_p1_wall", ">=1.5");
  bench::print_result("engine", "value_state_bytes_per_string_key", str_b, "bytes/key");
  if (!out.empty()) bench::write_file(out, r.str());
  return ok ? 0 : 1;
}
