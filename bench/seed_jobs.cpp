// bench_seed_jobs: the seeds' jobs (click-count, pair-sum, order-aggregates) exactly as a user
// runs them, as `sluice run JOB` processes against a `sluice broker` process, fed by a
// librdkafka producer in this process with records of the seeds' formats (src/generators).
//
// Per job, on one broker (--flush 1000ms by default; see bench/README.md):
//  1. Saturation: --records records are preloaded into the job's input topic (the seed's
//     partition count); `sluice run JOB --bounded --starting-offsets earliest -p 1` reads them
//     all; records/s = records / the process's wall time from exec to exit (start-up and the
//     final flush included). Baseline in the same run: librdkafka's raw consume rate of the
//     same topic (one consumer, assign from the beginning, large fetches), before and after
//     the job, averaged. Target: job >= 0.5x. Peak RSS and CPU of the job from wait4.
//  2. Latency at half of the job's saturation rate, without coordinated omission: record i
//     is *scheduled* at t0 + i/rate on a fixed timetable, and its scheduled time (epoch ms) is
//     what the record carries: its Kafka timestamp, which the jobs keep on their outputs
//     (click-count: the count's input record; pair-sum: the number that completes the pair),
//     and for order-aggregates its `ts`, the event time of 100 ms windows that fire at the
//     watermark (--max-out-of-orderness 0s); a window result's latency is counted from its
//     window end, the scheduled time of the last order it can contain. A consumer of the
//     output topic stamps each result when it reads it; latency = read time - scheduled
//     time, so a producer that falls behind, a stalled job or a slow broker all count.
//     Warm-up (not measured) --warmup-seconds, measured --duration-seconds, then 1 s more
//     so that the last windows fire. The job starts from `latest` before the first record.
//     p50 / p99 / p999 / max; target p99 < 10 ms. VmRSS and VmHWM of the job at the end.
//  3. Pass-through floor, right after: the same records on the same timetable into a
//     1-partition topic that the consumer reads directly, no job. What the machine, the
//     broker and librdkafka cost at that rate at that moment; the job's p99 is compared
//     with it.
//
// Checks (exit 1 when one fails): every job exits 0 on its bounded run and on SIGTERM;
// click-count writes one count per record in both phases; order-aggregates' window counts add
// up to the orders sent; pair-sum writes at least one pair. Exit 2 on bad flags.
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "generators/generator.h"
#include "sluice/time_text.h"
#include "support/broker_process.h"
#include "support/child_process.h"
#include "support/kafka_clients.h"
#include "support/rdkafka_util.h"
#include "support/report.h"

namespace fs = std::filesystem;
using namespace sluice;
using bench::KafkaPtr;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kWindowMs = 100;  // order-aggregates' window in both phases
constexpr double kCoolDownSeconds = 1.0;
constexpr double kRatioTarget = 0.5;
constexpr double kP99TargetMs = 10;

const char* kUsage = R"(usage: bench_seed_jobs [options]
  --sluice PATH            sluice binary (default: the sluice next to this build dir)
  --jobs a,b,c             which jobs (default click-count,pair-sum,order-aggregates)
  --records N              records preloaded per job for the saturation run (default 1000000)
  --duration-seconds S     measured part of each latency run (default 15)
  --warmup-seconds S       unmeasured start of each latency run (default 3)
  --flush POLICY           the broker's --flush (default 1000ms; every-batch fsyncs each batch)
  --out FILE               also write the markdown report to FILE
  --smoke                  tiny run (20000 records, 1 s): checks that everything runs
)";

struct Options {
  fs::path sluice = bench::default_sluice_path();
  std::vector<std::string> jobs{"click-count", "pair-sum", "order-aggregates"};
  uint64_t records = 1'000'000;
  double duration_s = 15;
  double warmup_s = 3;
  std::string flush = "1000ms";
  std::string out;
  bool smoke = false;
};

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One job of the seeds: how to run it and how to make its input records.
struct JobCase {
  std::string name;        // click-count
  std::string kind;        // the generator kind
  int partitions = 1;      // the seed's input partitions
  bool one_output_per_record = false;
  bool windowed = false;   // order-aggregates
  // Flags of `sluice run NAME` naming the topics and group (after the common ones).
  std::vector<std::string> topic_flags(const std::string& prefix) const {
    const std::string in = prefix + "-in", out = prefix + "-out", dlq = prefix + "-dlq";
    if (name == "pair-sum")
      return {"--rawTopic", in, "--enrichedTopic", out, "--DLQ", dlq, "--groupId", prefix};
    std::vector<std::string> f{"--input-topic", in, "--output-topic", out, "--dlq", dlq, "--group-id", prefix};
    if (windowed) {
      for (const std::string& s : std::vector<std::string>{"--late-topic", prefix + "-late", "--event-time", "--window",
                                                            std::to_string(kWindowMs) + "ms", "--max-out-of-orderness", "0s"})
        f.push_back(s);
    }
    return f;
  }
};

JobCase job_case(const std::string& name) {
  if (name == "click-count") return JobCase{name, "clicks", 1, true, false};
  if (name == "pair-sum") return JobCase{name, "numbers", 1, false, false};
  if (name == "order-aggregates") return JobCase{name, "orders", 3, false, true};
  throw std::invalid_argument("unknown job '" + name + "' (click-count, pair-sum, order-aggregates)");
}

// The job's input records, in the seed's format, with a given event time.
class RecordMaker {
 public:
  explicit RecordMaker(const JobCase& job) : job_(job) {
    generators::GeneratorOptions o;
    o.seed = 42;
    o.bad_fraction = 0;
    o.users = 1000;
    gen_ = generators::make_generator(job.kind, o);
  }
  // Fills key/value for a record whose event time is ts_ms; returns whether it has a key.
  bool next(int64_t ts_ms) {
    gen_->next(rec_);
    if (job_.windowed) {  // orders: ts=... is the last field; put the scheduled time there
      auto at = rec_.value.rfind(",ts=");
      if (at == std::string::npos) throw std::logic_error("order without ts: " + rec_.value);
      rec_.value.resize(at + 4);
      append_iso8601(rec_.value, ts_ms);
    }
    return rec_.has_key;
  }
  const generators::GeneratedRecord& record() const { return rec_; }

 private:
  const JobCase& job_;
  std::unique_ptr<generators::Generator> gen_;
  generators::GeneratedRecord rec_;
};

KafkaPtr make_producer(const std::string& bootstrap, const std::string& linger) {
  return bench::make_client(RD_KAFKA_PRODUCER,
                            {{"bootstrap.servers", bootstrap},
                             {"linger.ms", linger},
                             {"acks", "all"},
                             {"enable.idempotence", "true"},
                             {"queue.buffering.max.messages", "2000000"},
                             {"queue.buffering.max.kbytes", "1048576"}},
                            nullptr);
}

void produce(rd_kafka_t* p, const std::string& topic, const generators::GeneratedRecord& r, int64_t ts) {
  while (true) {
    auto err = rd_kafka_producev(
        p, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(r.has_key ? r.key.data() : nullptr, r.has_key ? r.key.size() : 0),
        RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(p, 5);
      continue;
    }
    if (err) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
    return;
  }
}

void create_topics(const std::string& bootstrap, const std::string& prefix, const JobCase& job) {
  std::vector<std::pair<std::string, int>> topics{{prefix + "-in", job.partitions}, {prefix + "-out", 1}, {prefix + "-dlq", 1}};
  if (job.windowed) topics.push_back({prefix + "-late", 1});
  for (auto& [t, n] : topics) {
    std::string err = bench::create_topic(bootstrap, t, n);
    if (!err.empty()) throw std::runtime_error("create topic " + t + ": " + err);
  }
}

// Preloads n records; order timestamps advance 10 us per record (a 100,000/s feed).
void preload(const std::string& bootstrap, const std::string& topic, const JobCase& job, uint64_t n) {
  auto p = make_producer(bootstrap, "5");
  RecordMaker maker(job);
  const int64_t t0 = wall_ms() - static_cast<int64_t>(n / 100) - 1000;
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t ts = t0 + static_cast<int64_t>(i / 100);
    maker.next(ts);
    produce(p.get(), topic, maker.record(), ts);
    if (i % 1024 == 0) rd_kafka_poll(p.get(), 0);
  }
  if (rd_kafka_flush(p.get(), 120000)) throw std::runtime_error("preload: flush timed out");
}

// librdkafka's raw consume rate: one consumer assigns every partition from the beginning and
// reads n records (values touched, nothing else); seconds from rd_kafka_new to the last one.
double raw_consume_seconds(const std::string& bootstrap, const std::string& topic, int partitions, uint64_t n) {
  const auto t0 = Clock::now();
  auto c = bench::make_client(RD_KAFKA_CONSUMER,
                              {{"bootstrap.servers", bootstrap},
                               {"group.id", "bench-raw"},
                               {"enable.auto.commit", "false"},
                               {"fetch.max.bytes", "67108864"},
                               {"max.partition.fetch.bytes", "67108864"},
                               {"queued.min.messages", "10000000"},
                               {"queued.max.messages.kbytes", "1048576"}},
                              nullptr);
  auto* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int i = 0; i < partitions; ++i)
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), i)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(c.get(), parts);
  rd_kafka_topic_partition_list_destroy(parts);
  uint64_t seen = 0;
  auto last = Clock::now();
  while (seen < n) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c.get(), 500);
    if (!m) {
      if (Clock::now() - last > std::chrono::seconds(30))
        throw std::runtime_error("raw consume stalled at " + std::to_string(seen) + " of " + std::to_string(n));
      continue;
    }
    if (!m->err) {
      ++seen;
      last = Clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  rd_kafka_assign(c.get(), nullptr);
  rd_kafka_consumer_close(c.get());
  return s;
}

// Output records as read back: Kafka timestamp, the time this process read it, the value
// (only when the reader keeps values).
struct Output {
  int64_t ts_ms;
  int64_t read_us;
  std::string_view value;
};

// Reads a 1-partition topic from the beginning on a thread until stop(); keeps every record.
class OutputReader {
 public:
  OutputReader(const std::string& bootstrap, const std::string& topic, bool keep_values)
      : keep_values_(keep_values), thread_([this, bootstrap, topic] { run(bootstrap, topic); }) {}
  ~OutputReader() { stop(); }
  void stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t count() const { return count_.load(); }
  // Valid after stop(), as long as the reader lives.
  std::vector<Output> outputs() const {
    std::vector<Output> out;
    out.reserve(times_.size());
    for (size_t i = 0; i < times_.size(); ++i)
      out.push_back({times_[i].first, times_[i].second, keep_values_ ? std::string_view(values_[i]) : std::string_view()});
    return out;
  }

 private:
  void run(const std::string& bootstrap, const std::string& topic) {
    auto c = bench::make_client(RD_KAFKA_CONSUMER,
                                {{"bootstrap.servers", bootstrap},
                                 {"group.id", "bench-reader"},
                                 {"enable.auto.commit", "false"},
                                 {"fetch.wait.max.ms", "5"},
                                 {"fetch.error.backoff.ms", "5"},
                                 // librdkafka 2.0 stops fetching while more than this is
                                 // queued and looks again ~1 s later: at 100 k+ records/s
                                 // the default (100,000) stalls the reader (its p99 of 15 s).
                                 {"queued.min.messages", "10000000"}},
                                nullptr);
    auto* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c.get(), parts);
    rd_kafka_topic_partition_list_destroy(parts);
    while (!done_.load()) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c.get(), 50);
      if (!m) continue;
      const int64_t now = wall_us();
      if (!m->err) {
        rd_kafka_timestamp_type_t type;
        times_.emplace_back(rd_kafka_message_timestamp(m, &type), now);
        if (keep_values_) values_.emplace_back(static_cast<const char*>(m->payload), m->len);
        count_.fetch_add(1);
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(c.get(), nullptr);
    rd_kafka_consumer_close(c.get());
  }

  bool keep_values_;
  std::atomic<bool> done_{false};
  std::atomic<uint64_t> count_{0};
  std::vector<std::pair<int64_t, int64_t>> times_;
  std::vector<std::string> values_;
  std::thread thread_;
};

// "key=value" field of an order-aggregates text result.
std::string_view text_field(std::string_view v, std::string_view name) {
  std::string pat = std::string(name) + "=";
  size_t at = 0;
  while ((at = v.find(pat, at)) != std::string_view::npos) {
    if (at == 0 || v[at - 1] == ',') {
      auto rest = v.substr(at + pat.size());
      return rest.substr(0, rest.find(','));
    }
    at += pat.size();
  }
  return {};
}

std::vector<std::string> job_argv(const Options& o, const std::string& bootstrap, const JobCase& job,
                                  const std::string& prefix, bool bounded) {
  std::vector<std::string> a{o.sluice.string(), "run", job.name, "--bootstrap-servers", bootstrap, "--ui", "off", "-p", "1",
                             "--starting-offsets", bounded ? "earliest" : "latest"};
  if (bounded) a.push_back("--bounded");
  for (auto& f : job.topic_flags(prefix)) a.push_back(f);
  return a;
}

struct Saturation {
  double job_rate = 0, raw_rate = 0, job_cpu_s = 0, wall_s = 0;
  double peak_rss_mib = 0;
  uint64_t outputs = 0;
};

struct Latency {
  double rate = 0;
  uint64_t sent = 0, measured = 0, samples = 0;
  double p50 = NAN, p99 = NAN, p999 = NAN, max = NAN;
  double rss_mib = 0, hwm_mib = 0, job_cpu_per_s = 0;
  int64_t producer_max_behind_ms = 0;
};

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return NAN;
  size_t i = static_cast<size_t>(std::ceil(q * sorted.size())) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

uint64_t topic_size(const std::string& bootstrap, const std::string& topic) {
  auto c = bench::make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap}, {"group.id", "bench-size"}}, nullptr);
  int64_t low = 0, high = 0;
  if (rd_kafka_query_watermark_offsets(c.get(), topic.c_str(), 0, &low, &high, 10000)) return 0;
  return static_cast<uint64_t>(high - low);
}

// Sum of count= over order-aggregates results read from `topic` (bounded run: all of them).
uint64_t sum_window_counts(const std::string& bootstrap, const std::string& topic, uint64_t results) {
  OutputReader reader(bootstrap, topic, true);
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (reader.count() < results && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  reader.stop();
  uint64_t sum = 0;
  for (auto& o : reader.outputs()) sum += std::stoull(std::string(text_field(o.value, "count")));
  return sum;
}

Saturation saturation(const Options& o, const std::string& bootstrap, const JobCase& job, const fs::path& logs,
                      std::vector<std::string>& failures) {
  const std::string prefix = "sat-" + job.name;
  create_topics(bootstrap, prefix, job);
  std::cerr << "[bench] " << job.name << ": preloading " << o.records << " records\n";
  preload(bootstrap, prefix + "-in", job, o.records);
  Saturation s;
  std::cerr << "[bench] " << job.name << ": raw librdkafka consume\n";
  double raw1 = raw_consume_seconds(bootstrap, prefix + "-in", job.partitions, o.records);
  std::cerr << "[bench] " << job.name << ": sluice run " << job.name << " --bounded\n";
  bench::ChildProcess proc(job_argv(o, bootstrap, job, prefix, true), logs / (prefix + ".log"));
  const auto t0 = Clock::now();
  proc.start();
  if (!proc.wait_for(std::chrono::seconds(600))) {
    proc.stop();
    failures.push_back(job.name + " --bounded did not finish in 600 s");
    return s;
  }
  s.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!proc.clean_exit()) failures.push_back(job.name + " --bounded: " + proc.describe() + "\n" + proc.log_tail());
  double raw2 = raw_consume_seconds(bootstrap, prefix + "-in", job.partitions, o.records);
  s.raw_rate = o.records / ((raw1 + raw2) / 2);
  s.job_rate = o.records / s.wall_s;
  s.job_cpu_s = proc.cpu_seconds();
  s.peak_rss_mib = proc.max_rss_kib() / 1024.0;
  s.outputs = topic_size(bootstrap, prefix + "-out");
  if (job.one_output_per_record && s.outputs != o.records)
    failures.push_back(job.name + " --bounded wrote " + std::to_string(s.outputs) + " counts for " +
                       std::to_string(o.records) + " records");
  if (job.windowed) {
    uint64_t sum = sum_window_counts(bootstrap, prefix + "-out", s.outputs);
    if (sum != o.records)
      failures.push_back(job.name + " --bounded: window counts add up to " + std::to_string(sum) + ", not " +
                         std::to_string(o.records));
  }
  if (!job.one_output_per_record && !job.windowed && s.outputs == 0) failures.push_back(job.name + " wrote no pairs");
  return s;
}

// With `passthrough`, no job runs: the same records on the same timetable go into a
// 1-partition topic that the reader reads directly (producer -> broker -> consumer), the
// floor under the job's latency on this machine at this moment.
Latency latency(const Options& o, const std::string& bootstrap, const JobCase& job, double rate, const fs::path& logs,
                std::vector<std::string>& failures, bool passthrough = false) {
  const std::string prefix = (passthrough ? "pass-" : "lat-") + job.name;
  const bool windowed = job.windowed && !passthrough;
  const bool one_output_per_record = job.one_output_per_record || passthrough;
  if (passthrough) {
    std::string err = bench::create_topic(bootstrap, prefix + "-in", 1);
    if (!err.empty()) throw std::runtime_error("create topic " + prefix + "-in: " + err);
  } else {
    create_topics(bootstrap, prefix, job);
  }
  Latency l;
  l.rate = rate;
  bench::ChildProcess proc(job_argv(o, bootstrap, job, prefix, false), logs / (prefix + ".log"));
  if (!passthrough) proc.start();
  OutputReader reader(bootstrap, prefix + (passthrough ? "-in" : "-out"), windowed);
  std::cerr << "[bench] " << job.name << (passthrough ? ": pass-through (no job) latency at " : ": latency at ")
            << bench::fmt("%.0f", rate) << " records/s\n";

  auto p = make_producer(bootstrap, "0");
  RecordMaker maker(job);
  const double total_s = o.warmup_s + o.duration_s + kCoolDownSeconds;
  const uint64_t total = static_cast<uint64_t>(total_s * rate);
  const int64_t start_ms = wall_ms() + 20;  // the timetable starts on a whole ms
  const int64_t from_ms = start_ms + static_cast<int64_t>(o.warmup_s * 1000);
  const int64_t to_ms = from_ms + static_cast<int64_t>(o.duration_s * 1000);
  std::map<int64_t, uint64_t> per_window;  // window end -> orders scheduled in it (measured part)
  uint64_t i = 0;
  const double cpu0 = passthrough ? 0 : proc.running_cpu_seconds();
  const auto cpu_t0 = Clock::now();
  while (i < total) {
    const int64_t now_us = wall_us();
    // Every record whose scheduled time has come is sent now, stamped with that time.
    while (i < total) {
      const int64_t sched_us = start_ms * 1000 + static_cast<int64_t>(i * 1e6 / rate);
      if (sched_us > now_us) break;
      const int64_t ts = sched_us / 1000;
      l.producer_max_behind_ms = std::max(l.producer_max_behind_ms, (now_us - sched_us) / 1000);
      maker.next(ts);
      produce(p.get(), prefix + "-in", maker.record(), ts);
      if (ts >= from_ms && ts < to_ms) {
        ++l.measured;
        if (windowed) ++per_window[ts - ts % kWindowMs + kWindowMs];
      }
      ++i;
    }
    rd_kafka_poll(p.get(), 0);
    const int64_t next_us = start_ms * 1000 + static_cast<int64_t>(i * 1e6 / rate);
    // Sleep until the next record is due, at least 200 µs: spinning on the clock for shorter
    // waits took a core from the job and the broker on a 2-core machine (a third of all CPU
    // samples were this loop's clock reads). A record sent up to ~0.3 ms late still carries
    // its scheduled time, so the delay is in the latency measured, not hidden.
    const int64_t wait = next_us - wall_us();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(std::max<int64_t>(wait - 100, 200)));
  }
  l.sent = i;
  if (rd_kafka_flush(p.get(), 30000)) failures.push_back(job.name + ": latency producer flush timed out");
  // Let the last results arrive: until none has come for 1.5 s (at most 10 s). Records sent
  // before the job had its partitions (it starts from `latest`) never give a result, so
  // "as many results as records" cannot be the end condition.
  auto deadline = Clock::now() + std::chrono::seconds(10);
  uint64_t last = reader.count();
  auto last_change = Clock::now();
  while (Clock::now() < deadline && Clock::now() - last_change < std::chrono::milliseconds(1500)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (reader.count() != last) {
      last = reader.count();
      last_change = Clock::now();
    }
  }
  if (!passthrough) {
    const double cpu1 = proc.running_cpu_seconds();
    l.job_cpu_per_s = (cpu1 - cpu0) / std::chrono::duration<double>(Clock::now() - cpu_t0).count();
    l.rss_mib = proc.status_kib("VmRSS") / 1024.0;
    l.hwm_mib = proc.status_kib("VmHWM") / 1024.0;
  }
  reader.stop();
  if (!passthrough) {
    const std::string end = proc.stop();
    if (!proc.clean_exit()) failures.push_back(job.name + " on SIGTERM: " + end + "\n" + proc.log_tail());
  }

  std::vector<double> lat;
  uint64_t counted = 0;
  std::map<int64_t, uint64_t> seen_windows;
  for (auto& out : reader.outputs()) {
    if (windowed) {
      auto end_text = text_field(out.value, "windowEnd");
      auto end_ms = parse_iso8601(end_text);
      if (!end_ms) {
        failures.push_back(job.name + ": a result without a windowEnd: " + std::string(out.value));
        break;
      }
      if (*end_ms >= from_ms + kWindowMs && *end_ms <= to_ms) {
        lat.push_back(out.read_us / 1000.0 - static_cast<double>(*end_ms));
        seen_windows[*end_ms] += std::stoull(std::string(text_field(out.value, "count")));
      }
    } else if (out.ts_ms >= from_ms && out.ts_ms < to_ms) {
      lat.push_back(out.read_us / 1000.0 - static_cast<double>(out.ts_ms));
      ++counted;
    }
  }
  if (one_output_per_record && counted != l.measured)
    failures.push_back(job.name + ": " + std::to_string(counted) + " counts read for " + std::to_string(l.measured) +
                       " measured records");
  if (windowed) {
    for (auto& [end_ms, n] : seen_windows) {
      if (per_window[end_ms] != n) {
        failures.push_back(job.name + ": window ending " + format_iso8601(end_ms) + " counted " + std::to_string(n) +
                           " orders, " + std::to_string(per_window[end_ms]) + " were sent");
        break;
      }
    }
    if (seen_windows.empty()) failures.push_back(job.name + ": no window results in the measured part");
  }
  if (lat.empty()) failures.push_back(job.name + ": no results in the measured part of the latency run");
  std::sort(lat.begin(), lat.end());
  l.samples = lat.size();
  l.p50 = percentile(lat, 0.50);
  l.p99 = percentile(lat, 0.99);
  l.p999 = percentile(lat, 0.999);
  l.max = lat.empty() ? NAN : lat.back();
  return l;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (a == "--sluice") {
        o.sluice = next();
      } else if (a == "--jobs") {
        o.jobs = split(next());
      } else if (a == "--records") {
        o.records = std::stoull(next());
      } else if (a == "--duration-seconds") {
        o.duration_s = std::stod(next());
      } else if (a == "--warmup-seconds") {
        o.warmup_s = std::stod(next());
      } else if (a == "--flush") {
        o.flush = next();
      } else if (a == "--out") {
        o.out = next();
      } else if (a == "--smoke") {
        o.smoke = true;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    }
    if (o.smoke) {
      o.records = 20'000;
      o.duration_s = 1;
      o.warmup_s = 2;
    }
    for (auto& j : o.jobs) job_case(j);
    if (o.records < 1000 || o.duration_s <= 0 || o.warmup_s < 0)
      throw std::invalid_argument("--records must be >= 1000 and --duration-seconds > 0");
  } catch (const std::exception& e) {
    std::cerr << "bench_seed_jobs: " << e.what() << "\n\n" << kUsage;
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const std::string load_at_start = bench::read_first_line("/proc/loadavg");
  const std::string when = bench::local_time_now();
  std::vector<std::string> failures;
  struct Row {
    std::string job;
    Saturation sat;
    Latency lat;
    Latency pass;  // the same timetable, no job: producer -> broker -> consumer
  };
  std::vector<Row> rows;
  bench::BrokerProcess broker(o.sluice, {"--ui", "off", "--flush", o.flush});
  try {
    broker.start();
    const fs::path logs = broker.dir();
    for (auto& name : o.jobs) {
      JobCase job = job_case(name);
      Row row{name, {}, {}, {}};
      row.sat = saturation(o, broker.bootstrap(), job, logs, failures);
      if (row.sat.job_rate > 0) {
        row.lat = latency(o, broker.bootstrap(), job, row.sat.job_rate / 2, logs, failures);
        row.pass = latency(o, broker.bootstrap(), job, row.sat.job_rate / 2, logs, failures, true);
      }
      rows.push_back(row);
    }
  } catch (const std::exception& e) {
    failures.push_back(e.what() + std::string("\nbroker log:\n") + broker.log_tail());
  }
  bool clean = false;
  const std::string broker_end = broker.stop(&clean);
  if (!clean) failures.push_back("broker: " + broker_end);

  std::ostringstream md;
  md << "# The seeds' jobs through the broker (bench_seed_jobs)\n\n"
     << "- when: " << when << "; " << std::thread::hardware_concurrency() << " CPUs; load at start " << load_at_start
     << "\n- `sluice broker --flush " << o.flush << "` and `sluice run JOB -p 1` as separate processes; librdkafka "
     << bench::librdkafka_version() << "; " << o.records << " records per saturation run; latency: "
     << o.warmup_s << " s warm-up, " << o.duration_s << " s measured"
     << (o.smoke ? " (--smoke: figures are meaningless)" : "") << "\n\n"
     << "| job | job records/s | raw librdkafka consume records/s | ratio (target >= " << kRatioTarget
     << ") | job CPU-s | job peak RSS (MiB) | outputs |\n|---|---:|---:|---:|---:|---:|---:|\n";
  for (auto& r : rows) {
    md << "| " << r.job << " | " << bench::fmt("%.0f", r.sat.job_rate) << " | " << bench::fmt("%.0f", r.sat.raw_rate)
       << " | **" << bench::fmt("%.2f", r.sat.raw_rate > 0 ? r.sat.job_rate / r.sat.raw_rate : NAN) << "** | "
       << bench::fmt("%.1f", r.sat.job_cpu_s) << " | " << bench::fmt("%.1f", r.sat.peak_rss_mib) << " | "
       << r.sat.outputs << " |\n";
  }
  md << "\nEnd-to-end latency at half the job's saturation rate, from each record's scheduled send time "
        "(order-aggregates: from the end of its 100 ms window) to when a consumer of the output reads the result:\n\n"
     << "| job | rate (records/s) | results measured | p50 ms | p99 ms (target < " << kP99TargetMs
     << ") | p999 ms | max ms | producer max behind schedule (ms) | job CPU/s | job VmRSS / VmHWM (MiB) |\n"
     << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (auto& r : rows) {
    md << "| " << r.job << " | " << bench::fmt("%.0f", r.lat.rate) << " | " << r.lat.samples << " | "
       << bench::fmt("%.1f", r.lat.p50) << " | **" << bench::fmt("%.1f", r.lat.p99) << "** | "
       << bench::fmt("%.1f", r.lat.p999) << " | " << bench::fmt("%.1f", r.lat.max) << " | "
       << r.lat.producer_max_behind_ms << " | " << bench::fmt("%.2f", r.lat.job_cpu_per_s) << " | "
       << bench::fmt("%.1f", r.lat.rss_mib) << " / " << bench::fmt("%.1f", r.lat.hwm_mib) << " |\n";
  }
  md << "\nThe floor on this machine at this moment: the same records on the same timetable into a 1-partition "
        "topic read back directly, no job (bench producer -> broker -> bench consumer), right after each job's run:\n\n"
     << "| job's rate | pass-through p50 ms | p99 ms | p999 ms | max ms | producer max behind schedule (ms) | "
        "job p99 / pass-through p99 |\n|---|---:|---:|---:|---:|---:|---:|\n";
  for (auto& r : rows) {
    md << "| " << r.job << " " << bench::fmt("%.0f", r.pass.rate) << "/s | " << bench::fmt("%.1f", r.pass.p50) << " | "
       << bench::fmt("%.1f", r.pass.p99) << " | " << bench::fmt("%.1f", r.pass.p999) << " | "
       << bench::fmt("%.1f", r.pass.max) << " | " << r.pass.producer_max_behind_ms << " | "
       << bench::fmt("%.2f", r.lat.p99 / r.pass.p99) << " |\n";
  }
  for (auto& f : failures) md << "\nFAILED: " << f << "\n";
  std::cout << md.str();
  for (auto& r : rows) {
    bench::print_result("seed_jobs", r.job + "_saturation", r.sat.job_rate, "records/s", r.sat.raw_rate,
                        "librdkafka_raw_consume", ">=" + bench::fmt("%.1f", kRatioTarget));
    bench::print_result("seed_jobs", r.job + "_p50_at_half", r.lat.p50, "ms");
    bench::print_result("seed_jobs", r.job + "_p99_at_half", r.lat.p99, "ms", NAN, "", "<" + bench::fmt("%g", kP99TargetMs));
    bench::print_result("seed_jobs", r.job + "_p999_at_half", r.lat.p999, "ms");
    bench::print_result("seed_jobs", r.job + "_passthrough_p99_at_half", r.pass.p99, "ms");
    bench::print_result("seed_jobs", r.job + "_peak_rss", r.sat.peak_rss_mib, "MiB");
  }
  if (!o.out.empty() && !bench::write_file(o.out, md.str())) {
    std::cerr << "bench_seed_jobs: cannot write " << o.out << "\n";
    return 1;
  }
  return failures.empty() ? 0 : 1;
}
