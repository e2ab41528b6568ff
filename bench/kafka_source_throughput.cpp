// bench_kafka_source: how fast the engine's KafkaSource reads from `sluice broker`, against
// kcat and a plain librdkafka fetch loop reading the same topic in the same run.
//
// One topic with one partition is filled with --records records of --record-bytes bytes;
// then, --repeat times in turn:
//   - KafkaSource<std::string> at parallelism 1, bounded, from earliest, polled into a counting
//     output (what a job's source subtask does, minus the job);
//   - kcat -C -e -o beginning -f '%s\n' > /dev/null (a separate process, its start included);
//   - bench's fetch_records (librdkafka C API, assign, large fetch settings).
// Prints records/s of each (median over the repeats) and the ratios source/kcat and
// source/librdkafka. Then the sink side: KafkaSink<std::string> writing --records records and
// flushing, against a plain librdkafka producer with the sink's settings (acks=all,
// idempotence, linger.ms=5), each into a fresh topic. Exit status 0 when every reader saw every
// record, 1 otherwise, 2 on bad flags.
#include <librdkafka/rdkafka.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/kafka_sink.h"
#include "sluice/kafka_source.h"
#include "support/broker_process.h"
#include "support/kafka_clients.h"
#include "support/report.h"

namespace fs = std::filesystem;
using namespace sluice::bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  fs::path sluice = default_sluice_path();
  uint64_t records = 1'000'000;
  size_t record_bytes = 100;
  int repeat = 3;
  bool smoke = false;
  std::string out;
};

const char* kUsage = R"(usage: bench_kafka_source [options]
  --sluice PATH        sluice binary (default: the sluice next to this build dir)
  --records N          records in the topic (default 1000000)
  --record-bytes B     value size (default 100)
  --repeat K           runs of each reader, alternating (default 3)
  --out FILE           also write the markdown report to FILE
  --smoke              tiny run to keep the benchmark from rotting
)";

class CountingOutput final : public sluice::SourceOutput<std::string> {
 public:
  void collect(std::string value, sluice::Timestamp, int) override {
    ++records;
    bytes += value.size();
  }
  void register_split(int) override {}
  void finish_split(int) override {}
  uint64_t records = 0;
  uint64_t bytes = 0;
};

double run_source(const std::string& bootstrap, const std::string& topic, uint64_t expected,
                  std::string& error) {
  const auto start = Clock::now();
  auto source = sluice::KafkaSource<std::string>::builder()
                    .bootstrap_servers(bootstrap)
                    .topic(topic)
                    .starting_offsets(sluice::StartingOffsets::earliest())
                    .bounded()
                    .build();
  auto reader = source.make_reader(sluice::SubtaskInfo{"bench", 0, 1, 128});
  reader->open();
  CountingOutput out;
  while (reader->poll(out) != sluice::SourceStatus::end_of_input) {
  }
  reader->close();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (out.records != expected) {
    error = "KafkaSource read " + std::to_string(out.records) + " of " + std::to_string(expected) +
            " records";
  }
  return s;
}

double run_kcat(const std::string& bootstrap, const std::string& topic, uint64_t expected,
                std::string& error) {
  int fds[2];
  if (::pipe(fds) != 0) {
    error = "pipe failed";
    return 0;
  }
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execlp("kcat", "kcat", "-C", "-b", bootstrap.c_str(), "-t", topic.c_str(), "-p", "0", "-o",
             "beginning", "-e", "-q", "-f", "%s\n", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  // Count the lines kcat prints (one per record), as a consumer of its output would.
  uint64_t lines = 0;
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) error = "kcat failed (is it installed?)";
  if (lines != expected)
    error =
        "kcat printed " + std::to_string(lines) + " of " + std::to_string(expected) + " records";
  return s;
}

double run_sink(const std::string& bootstrap, const std::string& topic, uint64_t n, size_t bytes,
                std::string& error) {
  const std::string value(bytes, 'v');
  const auto start = Clock::now();
  try {
    auto sink =
        sluice::KafkaSink<std::string>::builder().bootstrap_servers(bootstrap).topic(topic).build();
    auto w = sink.make_writer(sluice::SubtaskInfo{"bench", 0, 1, 128});
    w->open();
    for (uint64_t i = 0; i < n; ++i) w->write(value, sluice::SinkContext{});
    w->flush();
    if (w->metrics().delivered != n)
      error = "KafkaSink delivered " + std::to_string(w->metrics().delivered);
    w->close();
  } catch (const std::exception& e) {
    error = std::string("KafkaSink: ") + e.what();
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

uint64_t g_delivered = 0;

double run_raw_producer(const std::string& bootstrap, const std::string& topic, uint64_t n,
                        size_t bytes, std::string& error) {
  const std::string value(bytes, 'v');
  const auto start = Clock::now();
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> settings[] = {{"bootstrap.servers", bootstrap},
                                                          {"acks", "all"},
                                                          {"enable.idempotence", "true"},
                                                          {"linger.ms", "5"}};
  for (const auto& [k, v] : settings) rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err);
  g_delivered = 0;
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    if (!m->err) ++g_delivered;
  });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    error = err;
    return 0;
  }
  for (uint64_t i = 0; i < n; ++i) {
    for (;;) {
      const auto e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        error = rd_kafka_err2str(e);
        rd_kafka_destroy(rk);
        return 0;
      }
      rd_kafka_poll(rk, 100);
    }
  }
  rd_kafka_flush(rk, 60000);
  rd_kafka_destroy(rk);
  if (g_delivered != n) error = "raw producer delivered " + std::to_string(g_delivered);
  return std::chrono::duration<double>(Clock::now() - start).count();
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
      } else if (a == "--records") {
        o.records = std::stoull(next());
      } else if (a == "--record-bytes") {
        o.record_bytes = std::stoul(next());
      } else if (a == "--repeat") {
        o.repeat = std::stoi(next());
      } else if (a == "--out") {
        o.out = next();
      } else if (a == "--smoke") {
        o.smoke = true;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n" << kUsage;
    return 2;
  }
  if (o.smoke) {
    o.records = 20000;
    o.repeat = 1;
  }

  BrokerProcess broker(o.sluice, {});
  try {
    broker.start();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  const std::string topic = "source-bench";
  if (auto err = create_topic(broker.bootstrap(), topic, 1); !err.empty()) {
    std::cerr << "error: " << err << "\n";
    return 1;
  }
  ProduceSpec spec;
  spec.bootstrap = broker.bootstrap();
  spec.topic = topic;
  spec.record_bytes = o.record_bytes;
  spec.max_records = o.records;
  const auto produced = produce_records(spec);
  if (!produced.error.empty()) {
    std::cerr << "error: filling the topic: " << produced.error << "\n";
    return 1;
  }

  std::vector<double> source_rates, kcat_rates, raw_rates;
  std::string error;
  for (int r = 0; r < o.repeat && error.empty(); ++r) {
    const double s = run_source(broker.bootstrap(), topic, o.records, error);
    source_rates.push_back(o.records / s);
    const double k = run_kcat(broker.bootstrap(), topic, o.records, error);
    kcat_rates.push_back(o.records / k);
    FetchSpec fs;
    fs.bootstrap = broker.bootstrap();
    fs.topic = topic;
    fs.record_bytes = o.record_bytes;
    fs.expected_records = o.records;
    const auto raw = fetch_records(fs);
    if (!raw.error.empty()) error = "librdkafka fetch: " + raw.error;
    raw_rates.push_back(raw.records_per_s());
  }
  std::vector<double> sink_rates, producer_rates;
  for (int r = 0; r < o.repeat && error.empty(); ++r) {
    const std::string t1 = "sink-bench-" + std::to_string(r),
                      t2 = "producer-bench-" + std::to_string(r);
    for (const auto& t : {t1, t2}) {
      if (auto err = create_topic(broker.bootstrap(), t, 1); !err.empty()) error = err;
    }
    if (!error.empty()) break;
    sink_rates.push_back(o.records /
                         run_sink(broker.bootstrap(), t1, o.records, o.record_bytes, error));
    producer_rates.push_back(
        o.records / run_raw_producer(broker.bootstrap(), t2, o.records, o.record_bytes, error));
  }
  if (!error.empty()) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  const double snk = median(sink_rates), prod = median(producer_rates);
  const double src = median(source_rates), kc = median(kcat_rates), raw = median(raw_rates);
  std::ostringstream md;
  md << "## KafkaSource / KafkaSink throughput (" << local_time_now() << ")\n\n"
     << o.records << " records of " << o.record_bytes << " B in one partition of `sluice broker`; "
     << "median of " << o.repeat << " runs each; librdkafka " << librdkafka_version() << "; load "
     << read_first_line("/proc/loadavg") << "\n\n"
     << "| reader | records/s | ratio KafkaSource / reader |\n|---|---:|---:|\n"
     << "| KafkaSource<std::string>, parallelism 1 | " << fmt("%.0f", src) << " | 1.00 |\n"
     << "| kcat -C -e -f '%s\\n' (process, lines counted) | " << fmt("%.0f", kc) << " | "
     << fmt("%.2f", src / kc) << " |\n"
     << "| librdkafka fetch loop (bench support) | " << fmt("%.0f", raw) << " | "
     << fmt("%.2f", src / raw) << " |\n\n"
     << "| writer (acks=all, idempotent, linger.ms=5, flush at the end) | records/s | ratio "
        "KafkaSink / writer |\n"
     << "|---|---:|---:|\n"
     << "| KafkaSink<std::string>, one writer | " << fmt("%.0f", snk) << " | 1.00 |\n"
     << "| librdkafka producer, same settings | " << fmt("%.0f", prod) << " | "
     << fmt("%.2f", snk / prod) << " |\n";
  std::cout << md.str();
  print_result("kafka_source", "KafkaSource_read", src, "records/s", raw, "librdkafka_fetch_loop");
  print_result("kafka_source", "kcat_read", kc, "records/s", raw, "librdkafka_fetch_loop");
  print_result("kafka_source", "KafkaSink_write", snk, "records/s", prod, "librdkafka_producer");
  if (!o.out.empty() && !write_file(o.out, md.str())) {
    std::cerr << "error: cannot write " << o.out << "\n";
    return 1;
  }
  return 0;
}
