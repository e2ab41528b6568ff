// bench_checkpoint_overhead: what periodic checkpoints cost a running job (issue 6's
// "throughput with 1 s checkpoints as a ratio of throughput without, in one run").
//
// The job: a bounded source of N records (record i has key i % K), a keyed running count
// in ValueState (K keys of state, default 1,000,000), and a sink that only counts. Rounds
// alternate between the job without checkpoints (the baseline) and with a checkpoint
// every --interval (default 1 s) into a temporary directory; each round's records per
// second of wall time. The figure is the median of the with/without ratios over the
// rounds (target >= 0.9), plus the checkpoints taken and their median duration and size.
// `--smoke` runs one small round. Prints a report and `RESULT checkpoint_overhead ...`.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "sluice/sluice.h"
#include "support/report.h"

namespace {

using namespace sluice;
namespace fs = std::filesystem;

// Emits 0 .. n-1 as fast as it may; its position is checkpointed.
class Numbers final : public Source<int64_t> {
 public:
  explicit Numbers(int64_t n) : n_(n) {}
  std::unique_ptr<SourceReader<int64_t>> create_reader(const SubtaskInfo&) override {
    return std::make_unique<Reader>(n_);
  }
  bool bounded() const override { return true; }

 private:
  class Reader final : public SourceReader<int64_t> {
   public:
    explicit Reader(int64_t n) : n_(n) {}
    SourceStatus poll(SourceOutput<int64_t>& out) override {
      for (int i = 0; i < 512 && next_ < n_; ++i) out.collect(next_++, kNoTimestamp);
      return next_ < n_ ? SourceStatus::more_available : SourceStatus::end_of_input;
    }
    std::string snapshot_state(CheckpointId) override { return std::to_string(next_); }

   private:
    int64_t n_;
    int64_t next_ = 0;
  };
  int64_t n_;
};

class Count final : public KeyedProcessFunction<int64_t, int64_t, int64_t> {
 public:
  void open(const SubtaskInfo&) override { n_ = get_state(ValueStateDescriptor<int64_t>{"n"}); }
  void process_element(const int64_t&, Context&, Collector<int64_t>& out) override {
    int64_t n = n_.value_or(0) + 1;
    n_.update(n);
    out.collect(n);
  }

 private:
  ValueState<int64_t> n_;
};

class CountingSink final : public Sink<int64_t> {
 public:
  explicit CountingSink(std::shared_ptr<std::atomic<int64_t>> seen) : seen_(std::move(seen)) {}
  std::unique_ptr<SinkWriter<int64_t>> create_writer(const SubtaskInfo&) override {
    return std::make_unique<Writer>(seen_);
  }

 private:
  class Writer final : public SinkWriter<int64_t> {
   public:
    explicit Writer(std::shared_ptr<std::atomic<int64_t>> seen) : seen_(std::move(seen)) {}
    void write(const int64_t&, const SinkContext&) override { ++local_; }
    void close() override { seen_->fetch_add(local_); }

   private:
    std::shared_ptr<std::atomic<int64_t>> seen_;
    int64_t local_ = 0;
  };
  std::shared_ptr<std::atomic<int64_t>> seen_;
};

struct RoundResult {
  double records_per_s = 0;
  std::vector<CheckpointStats> checkpoints;
};

RoundResult run_round(int64_t records, int64_t keys, Duration interval, const fs::path& dir) {
  StreamEnvironment env;
  if (interval.count() > 0) env.enable_checkpointing(interval, dir.string(), 1);
  auto seen = std::make_shared<std::atomic<int64_t>>(0);
  env.from_source(Numbers(records), WatermarkStrategy<int64_t>::no_watermarks(), "numbers")
      .uid("numbers")
      .key_by([keys](const int64_t& v) { return v % keys; })
      .process(Count())
      .uid("count")
      .sink_to(CountingSink(seen));
  auto start = std::chrono::steady_clock::now();
  JobClient client = env.execute_async("checkpoint-overhead");
  client.wait();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (seen->load() != records) {
    std::fprintf(stderr, "the job emitted %lld records, expected %lld\n", static_cast<long long>(seen->load()),
                 static_cast<long long>(records));
    std::exit(1);
  }
  return {records / seconds, client.checkpoints()};
}

}  // namespace

int main(int argc, char** argv) {
  int64_t records = 30'000'000, keys = 1'000'000;
  int rounds = 3;
  Duration interval(1000);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--smoke") {
      records = 2'000'000;
      keys = 10'000;
      rounds = 1;
      interval = Duration(100);
    } else if (a == "--records") {
      records = std::stoll(next());
    } else if (a == "--keys") {
      keys = std::stoll(next());
    } else if (a == "--rounds") {
      rounds = std::stoi(next());
    } else if (a == "--interval-ms") {
      interval = Duration(std::stoll(next()));
    } else {
      std::fprintf(stderr,
                   "usage: bench_checkpoint_overhead [--smoke] [--records N] [--keys K] [--rounds R] "
                   "[--interval-ms MS]\n");
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  fs::path dir = fs::temp_directory_path() / ("sluice-bench-ckpt-" + std::to_string(::getpid()));
  std::vector<double> ratios, without, with, durations, sizes;
  size_t taken = 0;
  for (int r = 0; r < rounds; ++r) {
    fs::remove_all(dir);
    RoundResult base = run_round(records, keys, Duration(0), dir);
    fs::remove_all(dir);
    RoundResult ck = run_round(records, keys, interval, dir);
    without.push_back(base.records_per_s);
    with.push_back(ck.records_per_s);
    ratios.push_back(ck.records_per_s / base.records_per_s);
    for (auto& c : ck.checkpoints) {
      if (c.status != CheckpointStatus::completed) continue;
      ++taken;
      durations.push_back(double(c.duration_ms));
      sizes.push_back(double(c.bytes));
    }
    std::printf("round %d: without %.0f records/s, with %lld ms checkpoints %.0f records/s (ratio %.3f)\n", r + 1,
                base.records_per_s, static_cast<long long>(interval.count()), ck.records_per_s, ratios.back());
  }
  fs::remove_all(dir);
  double ratio = bench::median(ratios);
  std::printf("checkpoint overhead: %lld records over %lld keys, %d rounds; median ratio %.3f (target >= 0.9); "
              "%zu checkpoints, median %.0f ms, %.1f MB; load %s\n",
              static_cast<long long>(records), static_cast<long long>(keys), rounds, ratio, taken,
              bench::median(durations), bench::median(sizes) / 1e6, bench::read_first_line("/proc/loadavg").c_str());
  bench::print_result("checkpoint_overhead", "throughput_with_checkpoints", bench::median(with), "records/s",
                      bench::median(without), "no_checkpoints", ">=0.9");
  if (!durations.empty()) {
    bench::print_result("checkpoint_overhead", "checkpoint_duration", bench::median(durations), "ms");
    bench::print_result("checkpoint_overhead", "checkpoint_size", bench::median(sizes), "bytes");
  }
  return 0;
}
