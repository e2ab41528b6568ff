// bench_nexmark: the Nexmark queries (src/nexmark/) on the engine in process, against
// the hand-written single-threaded program for the same query (baselines.h), in one run.
//
// For each query: the engine at parallelism 1 reads N generated events (GeneratorSource of
// nexmark::Event), runs the query and counts the results in a sink; the baseline generates
// the same N events in a loop and feeds them to its hash-map code. Both figures are events
// per CPU-second (the engine: of the whole process, every task thread included; the
// baseline: of its thread), so they are "per core" whatever else the machine runs. The
// ratio engine / baseline is the figure; the result counts must agree (exit 1 otherwise).
// Flink's per-core figures (bench/README.md) are printed beside q0-q2, q4 and q5.
//
// Output: a markdown table (also to --out FILE), and one machine-readable line per query:
//   RESULT nexmark q5 events=N engine_eps=... baseline_eps=... ratio=... target=0.3 results=...
// Exit 0 when every query ran and agreed (targets met or not), 1 on a disagreement, 2 on
// bad flags.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "nexmark/baselines.h"
#include "nexmark/queries.h"
#include "nexmark/source.h"
#include "sluice/sluice.h"
#include "support/report.h"

using namespace sluice;
using namespace sluice::nexmark;
using Clock = std::chrono::steady_clock;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Measure {
  double cpu_s = 0;
  double wall_s = 0;
  uint64_t results = 0;
};

// Counts what reaches it; the total is published when the writer flushes (end of input).
template <class R>
class CountSink final : public Sink<R> {
 public:
  explicit CountSink(std::shared_ptr<std::atomic<uint64_t>> total) : total_(std::move(total)) {}
  std::unique_ptr<SinkWriter<R>> create_writer(const SubtaskInfo&) override { return std::make_unique<Writer>(total_); }

 private:
  struct Writer final : SinkWriter<R> {
    explicit Writer(std::shared_ptr<std::atomic<uint64_t>> t) : total(std::move(t)) {}
    void write(const R&, const SinkContext&) override { ++local; }
    void flush() override {
      total->fetch_add(local);
      local = 0;
    }
    std::shared_ptr<std::atomic<uint64_t>> total;
    uint64_t local = 0;
  };
  std::shared_ptr<std::atomic<uint64_t>> total_;
};

template <class R>
Measure run_engine(DataStream<R> (*query)(const DataStream<Event>&), const Config& config, uint64_t events) {
  StreamEnvironment env;
  env.set_parallelism(1);
  auto total = std::make_shared<std::atomic<uint64_t>>(0);
  query(env.from_source(event_source(config, events), event_watermarks(), "nexmark")).sink_to(CountSink<R>(total));
  const double cpu0 = bench::self_cpu_seconds();
  const auto t0 = Clock::now();
  env.execute("bench_nexmark");
  return {bench::self_cpu_seconds() - cpu0, std::chrono::duration<double>(Clock::now() - t0).count(), total->load()};
}

template <class Baseline>
Measure run_baseline(const Config& config, uint64_t events) {
  NexmarkGenerator gen(config);
  Baseline baseline;
  Event e;
  uint64_t results = 0;
  auto emit = [&results](const auto&) { ++results; };
  const double cpu0 = thread_cpu_seconds();
  const auto t0 = Clock::now();
  for (uint64_t n = 0; n < events; ++n) {
    gen.event(n, e);
    baseline.add(e, emit);
  }
  baseline.finish(emit);
  return {thread_cpu_seconds() - cpu0, std::chrono::duration<double>(Clock::now() - t0).count(), results};
}

Measure run_generator_only(const Config& config, uint64_t events) {
  NexmarkGenerator gen(config);
  Event e;
  uint64_t bids = 0;
  const double cpu0 = thread_cpu_seconds();
  const auto t0 = Clock::now();
  for (uint64_t n = 0; n < events; ++n) {
    gen.event(n, e);
    bids += e.is_bid();
  }
  return {thread_cpu_seconds() - cpu0, std::chrono::duration<double>(Clock::now() - t0).count(), bids};
}

struct Query {
  std::string name;
  double target;           // engine / baseline, issue 9 (0: none)
  double flink_per_core;   // events/s per core, Alibaba's Nexmark figures (0: none quoted)
  std::function<Measure(const Config&, uint64_t)> engine;
  std::function<Measure(const Config&, uint64_t)> baseline;
};

template <class R, class Baseline>
Query make(std::string name, double target, double flink, DataStream<R> (*query)(const DataStream<Event>&)) {
  return Query{std::move(name), target, flink,
               [query](const Config& c, uint64_t n) { return run_engine<R>(query, c, n); },
               [](const Config& c, uint64_t n) { return run_baseline<Baseline>(c, n); }};
}

std::vector<Query> all_queries() {
  // Flink per core: 4-6.5 M events/s on 8 cores for q0-q2, 150-630 k for q4/q5: the upper
  // ends, 0.8 M and 80 k per core, so that "x Flink" is the conservative figure.
  return {
      make<Bid, baseline::Q0>("q0", 0.5, 800000, q0),
      make<Q1Bid, baseline::Q1>("q1", 0.5, 800000, q1),
      make<Q2Bid, baseline::Q2>("q2", 0.5, 800000, q2),
      make<Q3Seller, baseline::Q3>("q3", 0, 0, q3),
      make<Q4Average, baseline::Q4>("q4", 0, 80000, q4),
      make<Q5HotItem, baseline::Q5>("q5", 0.3, 80000, q5),
      make<Bid, baseline::Q7>("q7", 0.3, 0, q7),
      make<Q8NewSeller, baseline::Q8>("q8", 0.3, 0, q8),
      make<Q11Session, baseline::Q11>("q11", 0, 0, q11),
  };
}

std::string millions(double eps) { return bench::fmt("%.2f M", eps / 1e6); }

}  // namespace

int main(int argc, char** argv) {
  uint64_t events = 5000000;
  std::string only, out;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--smoke") {
      smoke = true;
      events = 100000;
    } else if (a == "--events" && i + 1 < argc) {
      events = std::stoull(argv[++i]);
    } else if (a == "--queries" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else {
      std::cerr << "usage: bench_nexmark [--smoke] [--events N] [--queries q0,q5,...] [--out FILE]\n";
      return 2;
    }
  }
  std::vector<Query> queries;
  {
    auto all = all_queries();
    std::map<std::string, bool> wanted;
    std::stringstream list(only);
    for (std::string q; std::getline(list, q, ',');) wanted[q] = true;
    for (auto& q : all)
      if (only.empty() || wanted.erase(q.name)) queries.push_back(std::move(q));
    if (!wanted.empty()) {
      std::cerr << "bench_nexmark: unknown query '" << wanted.begin()->first
                << "' (known: q0 q1 q2 q3 q4 q5 q7 q8 q11)\n";
      return 2;
    }
  }

  Config config;  // the specification's defaults: 10,000 events per second of event time
  const Measure gen = run_generator_only(config, events);
  std::ostringstream report;
  report << "# bench_nexmark" << (smoke ? " (smoke)" : "") << "\n\n"
         << bench::local_time_now() << ", load " << bench::read_first_line("/proc/loadavg") << "\n\n"
         << events << " events per query (Nexmark defaults, seed 1); events per CPU-second. "
         << "Generating the events alone: " << millions(events / gen.cpu_s) << "/s.\n\n"
         << "| query | engine p=1 | hand-written | ratio | target | x Flink/core | results |\n"
         << "|---|---|---|---|---|---|---|\n";
  std::ostringstream lines;
  bool agreed = true;
  for (const auto& q : queries) {
    const Measure base = q.baseline(config, events);
    const Measure eng = q.engine(config, events);
    const double engine_eps = events / eng.cpu_s, baseline_eps = events / base.cpu_s;
    const double ratio = engine_eps / baseline_eps;
    if (eng.results != base.results) {
      agreed = false;
      std::cerr << "bench_nexmark: " << q.name << ": the engine gave " << eng.results << " results, the baseline "
                << base.results << "\n";
    }
    report << "| " << q.name << " | " << millions(engine_eps) << " | " << millions(baseline_eps) << " | "
           << bench::fmt("%.2f", ratio) << " | " << (q.target > 0 ? bench::fmt("%.1f", q.target) : "-") << " | "
           << (q.flink_per_core > 0 ? bench::fmt("%.0f", engine_eps / q.flink_per_core) : "-") << " | "
           << eng.results << (eng.results == base.results ? "" : " (baseline " + std::to_string(base.results) + ")")
           << " |\n";
    lines << "RESULT nexmark " << q.name << " events=" << events << " engine_eps=" << bench::fmt("%.0f", engine_eps)
          << " baseline_eps=" << bench::fmt("%.0f", baseline_eps) << " ratio=" << bench::fmt("%.3f", ratio)
          << " target=" << bench::fmt("%.1f", q.target) << " engine_wall_s=" << bench::fmt("%.3f", eng.wall_s)
          << " results=" << eng.results << "\n";
    std::cout << lines.str() << std::flush;
    lines.str("");
  }
  report << "\nratio: engine events/s per core over the hand-written program's; x Flink/core: the engine "
            "over Flink's best per-core figure (0.8 M/s for q0-q2, 80 k/s for q4-q5).\n";
  std::cout << "\n" << report.str();
  if (!out.empty() && !bench::write_file(out, report.str())) {
    std::cerr << "bench_nexmark: cannot write " << out << "\n";
    return 1;
  }
  return agreed ? 0 : 1;
}
