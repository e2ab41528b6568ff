// bench_transactions: throughput of a transactional librdkafka producer (transactions of
// 1,000 records: begin, produce, commit) as a ratio of an idempotent non-transactional
// producer's, both against the same `sluice broker` in the same run, rounds alternating.
// Target: >= 0.8. Then a read_committed consumer reads the transactional topic back and
// must see every committed record (the check that the figure is of real transactions).
//
// Exit status: 0 when every phase ran (whether or not the target is met), 1 when something
// failed outright (broker, delivery, commit, read-back), 2 on bad flags.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/broker_process.h"
#include "support/kafka_clients.h"
#include "support/rdkafka_util.h"
#include "support/report.h"

namespace fs = std::filesystem;
using namespace sluice::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kTarget = 0.8;

struct Options {
  fs::path sluice = default_sluice_path();
  uint64_t records = 200000;
  int txn_records = 1000;
  size_t record_bytes = 100;
  int partitions = 3;
  int rounds = 3;
  std::string flush = "50ms";
  std::string out;
  bool smoke = false;
};

const char* kUsage = R"(usage: bench_transactions [options]

Starts `sluice broker` and measures a transactional producer (transactions of
--txn-records records) against an idempotent one, as a ratio measured in the same run.

  --sluice PATH         sluice binary (default: the sluice next to this build dir)
  --records N           records per producer per round (default 200000)
  --txn-records N       records per transaction (default 1000)
  --record-bytes B      record value size (default 100)
  --partitions P        partitions of the topics (default 3)
  --rounds R            alternating rounds; the median ratio is reported (default 3)
  --flush POLICY        broker --flush (default 50ms)
  --out FILE            also write the markdown report to FILE
  --smoke               tiny run (a few seconds) to keep the benchmark from rotting
)";

void parse(int argc, char** argv, Options& o) {
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
    } else if (a == "--records") {
      o.records = std::stoull(value());
    } else if (a == "--txn-records") {
      o.txn_records = std::stoi(value());
    } else if (a == "--record-bytes") {
      o.record_bytes = std::stoul(value());
    } else if (a == "--partitions") {
      o.partitions = std::stoi(value());
    } else if (a == "--rounds") {
      o.rounds = std::stoi(value());
    } else if (a == "--flush") {
      o.flush = value();
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--smoke") {
      o.smoke = true;
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (o.smoke) {
    o.records = std::min<uint64_t>(o.records, 5000);
    o.rounds = 1;
  }
  if (o.records == 0 || o.txn_records < 1 || o.record_bytes == 0 || o.partitions < 1 || o.rounds < 1)
    throw std::invalid_argument("--records, --txn-records, --record-bytes, --partitions, --rounds must be positive");
}

struct Delivery {
  uint64_t ok = 0;
  std::string error;
};

void delivery_cb(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Delivery*>(m->_private);  // the message's opaque
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
    ++d->ok;
  else if (d->error.empty())
    d->error = rd_kafka_err2str(m->err);
}

std::string take_error(rd_kafka_error_t* e) {
  std::string s = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  return s;
}

/// Produces `n` records to `topic` and waits for every delivery; with `txn_records` > 0
/// in transactions of that many records. Returns seconds, or throws with what failed.
double produce(const std::string& bootstrap, const std::string& topic, uint64_t n,
               size_t bytes, int partitions, int txn_records, const std::string& txn_id) {
  Delivery delivered;
  ClientErrors errors;
  KafkaSettings settings = {{"bootstrap.servers", bootstrap},
                            {"enable.idempotence", "true"},
                            {"linger.ms", "5"},
                            {"batch.num.messages", "10000"},
                            {"queue.buffering.max.messages", "1000000"}};
  if (txn_records > 0) settings.push_back({"transactional.id", txn_id});
  auto rk = make_client(RD_KAFKA_PRODUCER, settings, &errors, [&](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
  });
  std::string meta = wait_for_metadata(rk.get(), topic, partitions, Clock::now() + std::chrono::seconds(30));
  if (!meta.empty()) throw std::runtime_error("metadata: " + meta);
  if (txn_records > 0)
    if (auto* e = rd_kafka_init_transactions(rk.get(), 30000)) throw std::runtime_error("init: " + take_error(e));
  std::string value(bytes, 'v');
  const auto start = Clock::now();
  uint64_t sent = 0;
  while (sent < n) {
    const uint64_t batch = txn_records > 0 ? std::min<uint64_t>(txn_records, n - sent) : n - sent;
    if (txn_records > 0)
      if (auto* e = rd_kafka_begin_transaction(rk.get())) throw std::runtime_error("begin: " + take_error(e));
    for (uint64_t i = 0; i < batch; ++i, ++sent) {
      for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(int32_t(sent % partitions)),
            RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_OPAQUE(&delivered),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) throw std::runtime_error(rd_kafka_err2str(err));
        rd_kafka_poll(rk.get(), 10);
      }
      rd_kafka_poll(rk.get(), 0);
    }
    if (txn_records > 0)
      if (auto* e = rd_kafka_commit_transaction(rk.get(), 60000)) throw std::runtime_error("commit: " + take_error(e));
  }
  if (rd_kafka_flush(rk.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error("flush timed out");
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rd_kafka_poll(rk.get(), 0);
  if (!delivered.error.empty()) throw std::runtime_error("delivery: " + delivered.error);
  if (delivered.ok != n)
    throw std::runtime_error(std::to_string(delivered.ok) + " of " + std::to_string(n) + " delivered");
  if (errors.fatal) throw std::runtime_error("fatal client error: " + join(errors.seen));
  return seconds;
}

/// Records a read_committed consumer finds in the topic (to its end), or throws.
uint64_t read_committed_count(const std::string& bootstrap, const std::string& topic, int partitions) {
  ClientErrors errors;
  auto rk = make_client(RD_KAFKA_CONSUMER,
                        {{"bootstrap.servers", bootstrap},
                         {"group.id", "bench-txn-reader"},
                         {"isolation.level", "read_committed"},
                         {"enable.partition.eof", "true"},
                         {"enable.auto.commit", "false"}},
                        &errors);
  rd_kafka_poll_set_consumer(rk.get());
  auto* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  uint64_t count = 0;
  int eof = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (eof < partitions && Clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 500);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
      ++eof;
    else if (m->err)
      throw std::runtime_error(std::string("read back: ") + rd_kafka_message_errstr(m));
    else
      ++count;
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk.get());
  if (eof < partitions) throw std::runtime_error("read back did not reach the end in 120 s");
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    parse(argc, argv, opt);
  } catch (const std::exception& e) {
    std::cerr << "bench_transactions: " << e.what() << "\n\n" << kUsage;
    return 2;
  }
  auto progress = [](const std::string& s) { std::cerr << "[bench] " << s << std::endl; };
  std::vector<double> idem_rate, txn_rate, ratios;
  std::vector<std::string> failures;
  const std::string load = read_first_line("/proc/loadavg");
  BrokerProcess broker(opt.sluice, {"--flush", opt.flush});
  uint64_t txn_total = 0;
  try {
    broker.start();
    progress("broker on " + broker.bootstrap());
    for (const char* t : {"bench-idempotent", "bench-transactional"}) {
      std::string err = create_topic(broker.bootstrap(), t, opt.partitions);
      if (!err.empty()) throw std::runtime_error(err);
    }
    for (int round = 1; round <= opt.rounds; ++round) {
      double idem = produce(broker.bootstrap(), "bench-idempotent", opt.records, opt.record_bytes,
                            opt.partitions, 0, "");
      double txn = produce(broker.bootstrap(), "bench-transactional", opt.records, opt.record_bytes,
                           opt.partitions, opt.txn_records, "bench-txn");
      txn_total += opt.records;
      idem_rate.push_back(opt.records / idem);
      txn_rate.push_back(opt.records / txn);
      ratios.push_back(idem / txn);
      progress("round " + std::to_string(round) + ": idempotent " + fmt("%.0f", opt.records / idem) +
               " rec/s, transactional " + fmt("%.0f", opt.records / txn) + " rec/s, ratio " +
               fmt("%.2f", idem / txn));
    }
    uint64_t seen = read_committed_count(broker.bootstrap(), "bench-transactional", opt.partitions);
    if (seen != txn_total)
      failures.push_back("read_committed read back " + std::to_string(seen) + " of " +
                         std::to_string(txn_total) + " committed records");
  } catch (const std::exception& e) {
    failures.push_back(e.what());
    std::cerr << broker.log_tail() << "\n";
  }
  bool clean = false;
  std::string end = broker.stop(&clean);
  if (!clean) failures.push_back("broker: " + end);

  std::ostringstream r;
  r << "# Transactional vs idempotent produce throughput\n\n"
    << "`bench_transactions --records " << opt.records << " --txn-records " << opt.txn_records
    << " --record-bytes " << opt.record_bytes << " --partitions " << opt.partitions << " --rounds "
    << opt.rounds << " --flush " << opt.flush << "`, " << local_time_now() << ", "
    << std::thread::hardware_concurrency() << " CPUs, load at start " << load << ".\n\n"
    << "| round | idempotent rec/s | transactional rec/s | ratio |\n|---|---|---|---|\n";
  for (size_t i = 0; i < ratios.size(); ++i)
    r << "| " << i + 1 << " | " << fmt("%.0f", idem_rate[i]) << " | " << fmt("%.0f", txn_rate[i])
      << " | " << fmt("%.2f", ratios[i]) << " |\n";
  const double m = median(ratios);
  r << "\nMedian ratio transactional / idempotent: **" << fmt("%.2f", m) << "** (target >= "
    << fmt("%.1f", kTarget) << ": " << (m >= kTarget ? "met" : "NOT met") << ").\n";
  for (const auto& f : failures) r << "\nFAILED: " << f << "\n";
  std::cout << r.str();
  if (!ratios.empty())
    print_result("transactions", "transactional_produce_" + std::to_string(opt.record_bytes) + "B", median(txn_rate),
                 "records/s", median(idem_rate), "idempotent_produce", ">=" + fmt("%.1f", kTarget));
  if (!opt.out.empty() && !write_file(opt.out, r.str())) {
    std::cerr << "cannot write " << opt.out << "\n";
    return 1;
  }
  return failures.empty() ? 0 : 1;
}
