// bench_broker_throughput: produce and fetch throughput of `sluice broker` through
// librdkafka, as ratios of the loopback TCP limit measured in the same run, and the broker's
// resident memory with 100 partitions. See bench/README.md for what the figures mean.
//
// Exit status: 0 when every phase ran (whether or not the targets are met), 1 when something
// failed outright (broker did not start or crashed, a delivery failed, a fetch stalled or
// returned wrong records), 2 on bad flags.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/broker_process.h"
#include "support/disk_pump.h"
#include "support/kafka_clients.h"
#include "support/loopback_pump.h"
#include "support/report.h"

namespace fs = std::filesystem;
using namespace sluice::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kProduceTarget = 0.50;  // of the loopback limit, 1 KiB records
constexpr double kFetchTarget = 0.70;

struct Options {
  fs::path sluice = default_sluice_path();
  double duration_s = 5;
  uint64_t records = 0;  // 0: produce for duration_s instead
  bool smoke = false;
  std::string out;
  std::string flush = "50ms";
  std::vector<size_t> sizes = {100, 1024};
  int memory_partitions = 100;
  double idle_s = 2;
  int repeat = 1;
  int stall_s = 30;
  bool keep = false;
};

const char* kUsage = R"(usage: bench_broker_throughput [options]

Starts `sluice broker` on a free loopback port with a fresh data dir and measures produce and
fetch throughput through librdkafka as ratios of the loopback TCP limit measured in the same
run, plus the broker's resident memory with 100 partitions.

  --sluice PATH            sluice binary (default: the sluice next to this build dir)
  --duration-seconds S     produce for S seconds per record size (default 5)
  --records N              produce exactly N records per record size instead
  --record-sizes A,B,...   record value sizes in bytes (default 100,1024)
  --repeat K               measure every record size K times (default 1)
  --flush POLICY           broker --flush (default 50ms)
  --memory-partitions P    partitions of the memory-probe topic (default 100)
  --idle-seconds S         idle time before reading the broker's RSS (default 2)
  --stall-seconds S        no progress for S seconds counts as a failure (default 30)
  --out FILE               also write the markdown report to FILE
  --keep                   keep the broker's temporary directory (data and log)
  --smoke                  tiny run (~2-3 s) to keep the benchmark from rotting
)";

/// The fdatasync interval matching the broker's --flush: every-batch = 0, "50ms", "1s".
std::chrono::milliseconds sync_interval(const std::string& flush) {
  if (flush == "every-batch") return std::chrono::milliseconds(0);
  try {
    if (flush.size() > 2 && flush.ends_with("ms")) return std::chrono::milliseconds(std::stoll(flush));
    if (flush.size() > 1 && flush.ends_with("s")) return std::chrono::milliseconds(1000 * std::stoll(flush));
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--flush " + flush + ": expected every-batch, Nms or Ns");
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (a == "--sluice") {
      o.sluice = value();
    } else if (a == "--duration-seconds") {
      o.duration_s = std::stod(value());
    } else if (a == "--records") {
      o.records = std::stoull(value());
    } else if (a == "--record-sizes") {
      o.sizes.clear();
      std::stringstream ss(value());
      for (std::string item; std::getline(ss, item, ',');) o.sizes.push_back(std::stoul(item));
    } else if (a == "--repeat") {
      o.repeat = std::stoi(value());
    } else if (a == "--flush") {
      o.flush = value();
    } else if (a == "--memory-partitions") {
      o.memory_partitions = std::stoi(value());
    } else if (a == "--idle-seconds") {
      o.idle_s = std::stod(value());
    } else if (a == "--stall-seconds") {
      o.stall_s = std::stoi(value());
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--smoke") {
      o.smoke = true;
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (o.smoke) {
    o.duration_s = std::min(o.duration_s, 0.25);
    o.idle_s = std::min(o.idle_s, 0.2);
    o.records = o.records ? std::min<uint64_t>(o.records, 20000) : 20000;
    o.repeat = 1;
  }
  if (o.duration_s <= 0 || o.repeat < 1 || o.sizes.empty() || o.memory_partitions < 1) {
    throw std::invalid_argument("--duration-seconds, --repeat, --record-sizes, --memory-partitions must be positive");
  }
  sync_interval(o.flush);  // validates
  for (size_t s : o.sizes) {
    if (s == 0 || s > 900000) throw std::invalid_argument("record sizes must be 1..900000 bytes");
  }
  return true;
}

std::string size_label(size_t bytes) {
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " B";
}

struct Row {
  std::string what;
  size_t record_bytes = 0;
  int round = 0;
  double mb_s = 0, records_s = NAN, baseline_mb_s = 0;
  double disk_mb_s = NAN;  // the disk write limit measured in the same round
  double broker_cpu = -1;  // broker CPU seconds per wall second (1.0 = one core busy)
  double client_cpu = -1;  // the same for this process (the librdkafka client)
  double first_ms = -1;    // from the start of the phase to the first ack / record
};

double mib(int64_t kib) { return kib < 0 ? NAN : kib / 1024.0; }

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    parse(argc, argv, opt);
  } catch (const std::exception& e) {
    std::cerr << "bench_broker_throughput: " << e.what() << "\n\n" << kUsage;
    return 2;
  }

  std::vector<std::string> failures;
  std::vector<std::string> notes;
  std::vector<Row> rows;
  double rss_fresh = NAN, rss_partitions = NAN, rss_after = NAN, rss_peak = NAN;
  uint64_t produced_bytes_total = 0, disk_bytes = 0;
  std::string broker_end = "not started";
  const std::string load_at_start = read_first_line("/proc/loadavg");
  const unsigned cpus = std::thread::hardware_concurrency();

  const std::string when = local_time_now();

  auto progress = [](const std::string& s) { std::cerr << "[bench] " << s << std::endl; };
  auto idle = [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); };

  BrokerProcess broker(opt.sluice, {"--flush", opt.flush});
  if (opt.keep) broker.keep_dir();
  try {
    progress("starting " + opt.sluice.string() + " broker --flush " + opt.flush);
    broker.start();
    progress("broker pid " + std::to_string(broker.pid()) + " on " + broker.bootstrap() + ", dir " +
             broker.dir().string());

    // Memory: a fresh broker, then with memory_partitions partitions after sitting idle.
    idle(opt.idle_s);
    rss_fresh = mib(broker.status_kib("VmRSS"));
    std::string err = create_topic(broker.bootstrap(), "bench-memory", opt.memory_partitions);
    if (!err.empty()) {
      failures.push_back("memory probe: " + err);
    } else {
      idle(opt.idle_s);
      rss_partitions = mib(broker.status_kib("VmRSS"));
    }

    for (int round = 1; round <= opt.repeat; ++round) {
      for (size_t size : opt.sizes) {
        if (!broker.alive()) throw std::runtime_error("the broker is no longer running");
        std::string topic = "bench-" + std::to_string(size) + "-" + std::to_string(round);
        std::string label = size_label(size) + (opt.repeat > 1 ? ", round " + std::to_string(round) : "");
        err = create_topic(broker.bootstrap(), topic, 1);
        if (!err.empty()) {
          failures.push_back(label + ": " + err);
          continue;
        }

        progress(label + ": produce");
        ProduceSpec ps;
        ps.bootstrap = broker.bootstrap();
        ps.topic = topic;
        ps.record_bytes = size;
        ps.max_records = opt.records;
        ps.duration = std::chrono::duration<double>(opt.duration_s);
        ps.stall_timeout = std::chrono::seconds(opt.stall_s);
        double cpu0 = broker.cpu_seconds(), self0 = self_cpu_seconds();
        ClientRun produced = produce_records(ps);
        double produce_cpu = produced.seconds > 0 ? (broker.cpu_seconds() - cpu0) / produced.seconds : -1;
        double produce_client_cpu = produced.seconds > 0 ? (self_cpu_seconds() - self0) / produced.seconds : -1;
        for (auto& n : produced.notes) notes.push_back(label + " produce: " + n);
        if (!produced.error.empty()) {
          failures.push_back(label + " produce: " + produced.error);
          continue;
        }
        produced_bytes_total += produced.bytes;

        progress(label + ": fetch " + std::to_string(produced.records) + " records");
        FetchSpec fs;
        fs.bootstrap = broker.bootstrap();
        fs.topic = topic;
        fs.record_bytes = size;
        fs.expected_records = produced.records;
        fs.stall_timeout = std::chrono::seconds(opt.stall_s);
        cpu0 = broker.cpu_seconds(), self0 = self_cpu_seconds();
        ClientRun fetched = fetch_records(fs);
        double fetch_cpu = fetched.seconds > 0 ? (broker.cpu_seconds() - cpu0) / fetched.seconds : -1;
        double fetch_client_cpu = fetched.seconds > 0 ? (self_cpu_seconds() - self0) / fetched.seconds : -1;
        for (auto& n : fetched.notes) notes.push_back(label + " fetch: " + n);
        if (!fetched.error.empty()) failures.push_back(label + " fetch: " + fetched.error);

        // The physical limit, for as long as the produce phase took.
        double pump_s = std::clamp(produced.seconds, 0.2, 60.0);
        progress(label + ": loopback pump " + fmt("%.1f", pump_s) + " s");
        PumpResult pump = loopback_pump(std::chrono::duration<double>(pump_s));
        double base = pump.mb_per_s();

        // And appending to a file next to the broker's log, with its flush policy.
        progress(label + ": disk pump " + fmt("%.1f", pump_s) + " s");
        PumpResult disk = disk_pump(broker.dir(), std::chrono::duration<double>(pump_s), sync_interval(opt.flush));
        double disk_mb_s = disk.mb_per_s();

        auto row = [&](std::string what, double mb_s) {
          Row r;
          r.what = std::move(what);
          r.record_bytes = size;
          r.round = round;
          r.mb_s = mb_s;
          r.baseline_mb_s = base;
          r.disk_mb_s = disk_mb_s;
          return r;
        };
        Row r = row("loopback TCP limit", base);
        r.client_cpu = pump.seconds > 0 ? pump.cpu_seconds / pump.seconds : -1;
        rows.push_back(r);
        r = row("disk write limit (fdatasync every " + opt.flush + ")", disk_mb_s);
        r.client_cpu = disk.seconds > 0 ? disk.cpu_seconds / disk.seconds : -1;
        rows.push_back(r);
        r = row("produce (acks=1)", produced.mb_per_s());
        r.records_s = produced.records_per_s();
        r.broker_cpu = produce_cpu;
        r.client_cpu = produce_client_cpu;
        r.first_ms = produced.first_record_seconds * 1000;
        rows.push_back(r);
        if (fetched.error.empty()) {
          r = row("fetch", fetched.mb_per_s());
          r.records_s = fetched.records_per_s();
          r.broker_cpu = fetch_cpu;
          r.client_cpu = fetch_client_cpu;
          r.first_ms = fetched.first_record_seconds * 1000;
          rows.push_back(r);
        }
      }
    }

    disk_bytes = broker.data_bytes();
    idle(opt.idle_s);
    rss_after = mib(broker.status_kib("VmRSS"));
    rss_peak = mib(broker.status_kib("VmHWM"));
  } catch (const std::exception& e) {
    failures.push_back(e.what());
  }
  bool clean = false;
  broker_end = broker.stop(&clean);
  if (!clean) failures.push_back("broker did not exit cleanly on SIGTERM: " + broker_end);

  // ---- report ----
  std::ostringstream md;
  md << "# sluice broker benchmark\n\n";
  md << "- when: " << when << "; " << cpus << " CPUs; load average at start: " << load_at_start << "\n";
  md << "- broker: `" << opt.sluice.string() << " broker --flush " << opt.flush << "`, data dir under "
     << (broker.dir().empty() ? fs::path("?") : broker.dir().parent_path()).string() << "\n";
  md << "- clients: librdkafka " << librdkafka_version()
     << "; producer acks=1 linger.ms=5 batch.size=1000000 compression none; consumer assign(p0, beginning), "
        "fetch.max.bytes = max.partition.fetch.bytes = 64 MiB\n";
  md << "- load: " << (opt.records ? std::to_string(opt.records) + " records" : fmt("%g s", opt.duration_s))
     << " per record size" << (opt.repeat > 1 ? ", " + std::to_string(opt.repeat) + " rounds" : "")
     << (opt.smoke ? " (--smoke: figures are meaningless)" : "") << "\n";
  md << "- MB = 10^6 bytes of record values (keys, headers and batch framing are not counted); ratio = MB/s "
        "divided by the loopback TCP limit measured just after, for as long as the produce phase took; vs disk = "
        "produce MB/s divided by the disk write limit (1 MiB appends to a file next to the broker's log, "
        "fdatasync at the broker's flush interval) measured just after that; broker "
        "CPU, client CPU = CPU seconds per wall second of the broker process and of this benchmark process "
        "(the librdkafka client, or the pump's two threads); 1.00 = one core busy; first = ms from the start of "
        "the phase to the first delivery report (produce) or the first record (fetch after assign), included "
        "in the rates\n\n";

  md << "| what | record size | MB/s | records/s | baseline (loopback MB/s) | ratio | vs disk | broker CPU | client CPU "
        "| first (ms) |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (auto& r : rows) {
    md << "| " << r.what << " | " << size_label(r.record_bytes)
       << (opt.repeat > 1 ? " #" + std::to_string(r.round) : "") << " | " << fmt("%.1f", r.mb_s) << " | "
       << (std::isnan(r.records_s) ? "—" : fmt("%.0f", r.records_s)) << " | " << fmt("%.1f", r.baseline_mb_s)
       << " | " << fmt("%.2f", r.baseline_mb_s > 0 ? r.mb_s / r.baseline_mb_s : NAN) << " | "
       << (r.what.starts_with("produce") || r.what.starts_with("disk") ? fmt("%.2f", r.mb_s / r.disk_mb_s) : "—")
       << " | " << (r.broker_cpu < 0 ? "—" : fmt("%.2f", r.broker_cpu)) << " | "
       << (r.client_cpu < 0 ? "—" : fmt("%.2f", r.client_cpu)) << " | "
       << (r.first_ms < 0 ? "—" : fmt("%.0f", r.first_ms)) << " |\n";
  }

  md << "\n## Targets (1 KiB records, median ratio over rounds)\n\n";
  md << "| target | ratio | verdict |\n|---|---:|---|\n";
  auto target_line = [&](const std::string& what, const std::string& row_name, double goal) {
    std::vector<double> ratios;
    for (auto& r : rows) {
      if (r.what == row_name && r.record_bytes == 1024 && r.baseline_mb_s > 0) ratios.push_back(r.mb_s / r.baseline_mb_s);
    }
    double m = median(ratios);
    md << "| " << what << " ≥ " << fmt("%.2f", goal) << " × loopback | " << (ratios.empty() ? "—" : fmt("%.2f", m))
       << " | " << (ratios.empty() ? "NOT MEASURED" : (m >= goal ? "PASS" : "BELOW")) << " |\n";
  };
  target_line("produce", "produce (acks=1)", kProduceTarget);
  target_line("fetch", "fetch", kFetchTarget);

  md << "\n## Broker resident memory (VmRSS)\n\n| state | MiB |\n|---|---:|\n";
  auto mem_line = [&](const std::string& what, double v) {
    md << "| " << what << " | " << (std::isnan(v) ? "—" : fmt("%.1f", v)) << " |\n";
  };
  mem_line("fresh, idle " + fmt("%g", opt.idle_s) + " s", rss_fresh);
  mem_line(std::to_string(opt.memory_partitions) + " partitions (one topic), idle " + fmt("%g", opt.idle_s) + " s",
           rss_partitions);
  mem_line("after the throughput runs, idle " + fmt("%g", opt.idle_s) + " s", rss_after);
  mem_line("peak (VmHWM)", rss_peak);
  md << "\nOn disk after the runs: " << fmt("%.1f", disk_bytes / 1e6) << " MB for "
     << fmt("%.1f", produced_bytes_total / 1e6) << " MB of record values. Broker: " << broker_end << ".\n";

  if (!notes.empty()) {
    md << "\n## Client errors reported on the way (not fatal)\n\n";
    for (auto& n : notes) md << "- " << n << "\n";
  }
  if (!failures.empty()) {
    md << "\n## FAILED\n\n";
    for (auto& f : failures) md << "- " << f << "\n";
    md << "\nBroker log (" << broker.log_path().string() << "), last lines:\n\n```\n" << broker.log_tail(40) << "```\n";
  }

  std::cout << md.str();
  // Machine-readable figures for bench/run-all: medians over rounds per record size.
  for (size_t bytes : opt.sizes) {
    for (const char* row : {"produce (acks=1)", "fetch"}) {
      std::vector<double> mb, base;
      for (auto& r : rows) {
        if (r.what == row && r.record_bytes == bytes && r.baseline_mb_s > 0) {
          mb.push_back(r.mb_s);
          base.push_back(r.baseline_mb_s);
        }
      }
      if (mb.empty()) continue;
      const bool produce = std::string(row) != "fetch";
      const double goal = produce ? kProduceTarget : kFetchTarget;
      print_result("broker", std::string(produce ? "produce_" : "fetch_") + std::to_string(bytes) + "B", median(mb), "MB/s",
                   median(base), "loopback_TCP", bytes == 1024 ? ">=" + fmt("%.2f", goal) : "");
    }
  }
  if (!std::isnan(rss_peak)) print_result("broker", "peak_rss_VmHWM", rss_peak, "MiB");
  if (!opt.out.empty()) {
    if (!write_file(opt.out, md.str())) {
      std::cerr << "bench_broker_throughput: cannot write " << opt.out << "\n";
      return 1;
    }
  }
  return failures.empty() ? 0 : 1;
}
