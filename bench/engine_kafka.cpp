// bench_engine_kafka: a keyed count through the embedded broker, as a whole pipeline.
//
//  1. Saturation: N click records are preloaded into a 4-partition topic; the engine
//     (KafkaSource -> key_by(user) -> ValueState count -> KafkaSink) reads them all
//     (bounded) and writes one count per record. Baseline in the same run: a hand-written
//     librdkafka consume -> hash-map count -> produce loop doing the same work.
//  2. Latency: a producer sends at half the engine's saturation rate (at most 100,000/s)
//     for D seconds with its scheduled send time as each record's timestamp (no coordinated
//     omission: a producer that falls behind its timetable counts); the engine job runs
//     unbounded; a consumer of the output measures now - timestamp for every result
//     (the sink keeps the input's timestamp). p50 / p99 after a 1 s warm-up.
//
// Exit 0 when every phase ran (targets met or not), 1 on a failure (lost or wrong counts),
// 2 on bad flags.
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "common/clock.h"
#include "sluice/kafka_sink.h"
#include "sluice/kafka_source.h"
#include "sluice/sluice.h"
#include "support/broker_process.h"
#include "support/kafka_clients.h"
#include "support/rdkafka_util.h"
#include "support/report.h"

using namespace sluice;
using bench::KafkaPtr;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kUsers = 10000;
constexpr int kPartitions = 4;

std::string click_json(const std::string& user) { return "{\"userId\":\"" + user + "\",\"action\":\"CLICK\"}"; }

KafkaPtr producer(const std::string& bootstrap, const std::string& linger) {
  return bench::make_client(RD_KAFKA_PRODUCER,
                            {{"bootstrap.servers", bootstrap}, {"linger.ms", linger}, {"acks", "all"},
                             {"queue.buffering.max.messages", "1000000"}, {"enable.idempotence", "true"}},
                            nullptr);
}

void produce(rd_kafka_t* p, const std::string& topic, const std::string& key, const std::string& value, int64_t ts) {
  while (true) {
    auto err = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(p, 10);
      continue;
    }
    if (err) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
    return;
  }
}

void preload(const std::string& bootstrap, const std::string& topic, uint64_t n) {
  auto p = producer(bootstrap, "5");
  std::mt19937_64 rnd(7);
  for (uint64_t i = 0; i < n; ++i) {
    std::string user = "u" + std::to_string(rnd() % kUsers);
    produce(p.get(), topic, user, click_json(user), wall_clock_ms());
    if (i % 1024 == 0) rd_kafka_poll(p.get(), 0);
  }
  if (rd_kafka_flush(p.get(), 60000)) throw std::runtime_error("preload: flush timed out");
}

// What a user would write without the engine: one thread, librdkafka in and out.
double hand_loop(const std::string& bootstrap, const std::string& in, const std::string& out, uint64_t n) {
  auto c = bench::make_client(RD_KAFKA_CONSUMER,
                              {{"bootstrap.servers", bootstrap}, {"group.id", "bench-hand"}, {"enable.auto.commit", "false"}},
                              nullptr);
  auto p = producer(bootstrap, "5");
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(kPartitions);
  for (int i = 0; i < kPartitions; ++i)
    rd_kafka_topic_partition_list_add(parts, in.c_str(), i)->offset = RD_KAFKA_OFFSET_BEGINNING;
  auto t0 = Clock::now();
  rd_kafka_assign(c.get(), parts);
  rd_kafka_topic_partition_list_destroy(parts);
  std::unordered_map<std::string, int64_t> counts;
  uint64_t seen = 0;
  std::string text;
  while (seen < n) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c.get(), 1000);
    if (!m) continue;
    if (!m->err) {
      std::string user(static_cast<const char*>(m->key), m->key_len);
      int64_t count = ++counts[user];
      text = "User " + user + " clicked " + std::to_string(count) + " times";
      rd_kafka_timestamp_type_t type;
      produce(p.get(), out, user, text, rd_kafka_message_timestamp(m, &type));
      ++seen;
    }
    rd_kafka_message_destroy(m);
    rd_kafka_poll(p.get(), 0);
  }
  if (rd_kafka_flush(p.get(), 60000)) throw std::runtime_error("hand loop: flush timed out");
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  rd_kafka_consumer_close(c.get());
  return s;
}

struct UserCount {
  std::string user;
  int64_t count;
};

class CountClicks final : public KeyedProcessFunction<std::string, KafkaRecord, UserCount> {
 public:
  void open(const SubtaskInfo&) override { count_ = get_state(ValueStateDescriptor<int64_t>{"count"}); }
  void process_element(const KafkaRecord&, Context& ctx, Collector<UserCount>& out) override {
    int64_t n = count_.value_or(0) + 1;
    count_.update(n);
    out.collect({ctx.current_key(), n});
  }

 private:
  ValueState<int64_t> count_;
};

void add_count_job(StreamEnvironment& env, const std::string& bootstrap, const std::string& in,
                   const std::string& out, bool bounded, StartingOffsets start) {
  auto source = KafkaSource<KafkaRecord>::builder()
                    .bootstrap_servers(bootstrap)
                    .topic(in)
                    .group_id("bench-engine-" + out)
                    .starting_offsets(start)
                    .bounded(bounded)
                    .build();
  auto sink = KafkaSink<UserCount>::builder()
                  .bootstrap_servers(bootstrap)
                  .topic(out)
                  .value_serializer([](const UserCount& c) { return "User " + c.user + " clicked " + std::to_string(c.count) + " times"; },
                                    [](const UserCount& c) { return c.user; })
                  .build();
  env.from_source(source, WatermarkStrategy<KafkaRecord>::no_watermarks(), "clicks")
      .key_by([](const KafkaRecord& r) { return r.key.value_or(""); })
      .process(CountClicks{})
      .sink_to(sink);
}

double engine_saturation(const std::string& bootstrap, const std::string& in, const std::string& out, int p) {
  StreamEnvironment env;
  env.set_parallelism(p);
  add_count_job(env, bootstrap, in, out, true, StartingOffsets::earliest());
  auto t0 = Clock::now();
  env.execute("saturation");
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t count_records(const std::string& bootstrap, const std::string& topic) {
  bench::FetchSpec spec;
  auto c = bench::make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap}, {"group.id", "bench-count"}}, nullptr);
  int64_t low = 0, high = 0;
  rd_kafka_query_watermark_offsets(c.get(), topic.c_str(), 0, &low, &high, 10000);
  return static_cast<uint64_t>(high - low);
}

struct Latency {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
  uint64_t sent = 0, received = 0;
};

Latency latency_run(const std::string& bootstrap, double rate, double seconds) {
  const std::string in = "lat-in", out = "lat-out";
  bench::create_topic(bootstrap, in, kPartitions);
  bench::create_topic(bootstrap, out, 1);
  StreamEnvironment env;
  add_count_job(env, bootstrap, in, out, false, StartingOffsets::earliest());
  JobClient job = env.execute_async("latency");

  std::atomic<bool> done{false};
  std::vector<int64_t> latencies;
  std::atomic<uint64_t> received{0};
  int64_t measure_from = wall_clock_ms() + 3000;  // the job's sources need a moment to assign
  std::thread consumer([&] {
    auto c = bench::make_client(RD_KAFKA_CONSUMER,
                                {{"bootstrap.servers", bootstrap}, {"group.id", "bench-lat"}, {"fetch.wait.max.ms", "100"}},
                                nullptr);
    auto* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, out.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c.get(), parts);
    rd_kafka_topic_partition_list_destroy(parts);
    while (!done.load()) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c.get(), 100);
      if (!m) continue;
      if (!m->err) {
        rd_kafka_timestamp_type_t type;
        int64_t ts = rd_kafka_message_timestamp(m, &type);
        if (ts >= measure_from) latencies.push_back(wall_clock_ms() - ts);
        received.fetch_add(1);
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c.get());
  });

  auto p = producer(bootstrap, "0");
  std::mt19937_64 rnd(11);
  uint64_t sent = 0;
  // Without coordinated omission: record i is due at start + i / rate and carries that
  // scheduled time, not the time it was sent, so a producer that falls behind (a stalled
  // broker, a busy machine) shows up in the latency instead of hiding it.
  const int64_t start_ms = wall_clock_ms();
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(seconds + 3);
  while (Clock::now() < end) {
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    uint64_t due = static_cast<uint64_t>(elapsed * rate);
    while (sent < due) {
      std::string user = "u" + std::to_string(rnd() % kUsers);
      const int64_t scheduled_ms = start_ms + static_cast<int64_t>(static_cast<double>(sent) * 1000.0 / rate);
      produce(p.get(), in, user, click_json(user), scheduled_ms);
      ++sent;
    }
    rd_kafka_poll(p.get(), 0);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  rd_kafka_flush(p.get(), 30000);
  for (int i = 0; i < 100 && received.load() < sent; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  done = true;
  consumer.join();
  job.cancel();
  job.wait();

  Latency l;
  l.sent = sent;
  l.received = received.load();
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    l.p50 = latencies[latencies.size() / 2];
    l.p99 = latencies[latencies.size() * 99 / 100];
    l.p999 = latencies[latencies.size() * 999 / 1000];
    l.max = latencies.back();
  }
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sluice_bin = bench::default_sluice_path().string();
  uint64_t records = 500'000;
  double seconds = 10;
  std::string out_file;
  std::string flush = "every-batch";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--smoke") {
      records = 20'000;
      seconds = 2;
    } else if (a == "--sluice" && i + 1 < argc) {
      sluice_bin = argv[++i];
    } else if (a == "--records" && i + 1 < argc) {
      records = std::stoull(argv[++i]);
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
    } else if (a == "--out" && i + 1 < argc) {
      out_file = argv[++i];
    } else if (a == "--flush" && i + 1 < argc) {
      flush = argv[++i];
    } else {
      std::cerr << "usage: bench_engine_kafka [--smoke] [--sluice PATH] [--records N] [--seconds S] [--flush every-batch|50ms] [--out FILE]\n";
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  try {
    bench::BrokerProcess broker(sluice_bin, {"--ui", "off", "--flush", flush});
    broker.start();
    std::string b = broker.bootstrap();
    for (auto* t : {"in"}) bench::create_topic(b, t, kPartitions);
    for (auto* t : {"out-hand", "out-p1", "out-p2"}) bench::create_topic(b, t, 1);
    preload(b, "in", records);

    double hand_s = hand_loop(b, "in", "out-hand", records);
    double p1_s = engine_saturation(b, "in", "out-p1", 1);
    double p2_s = engine_saturation(b, "in", "out-p2", 2);
    bool ok = count_records(b, "out-hand") == records && count_records(b, "out-p1") == records &&
              count_records(b, "out-p2") == records;
    double hand_rate = records / hand_s, p1_rate = records / p1_s, p2_rate = records / p2_s;
    double rate = std::min(100000.0, std::max(p1_rate, p2_rate) / 2);
    Latency l = latency_run(b, rate, seconds);
    ok = ok && l.received == l.sent;

    std::ostringstream r;
    r << "# bench_engine_kafka (" << bench::local_time_now() << ", load " << bench::read_first_line("/proc/loadavg")
      << ")\n\nbroker -> KafkaSource -> key_by(user) -> ValueState count -> KafkaSink -> broker; " << records
      << " click records, " << kUsers << " users, " << kPartitions << " input partitions; broker --flush "
      << flush << "\n\n"
      << "| run | records/s |\n|---|---|\n"
      << "| hand-written librdkafka consume-count-produce loop | " << bench::fmt("%.0f", hand_rate) << " |\n"
      << "| engine, parallelism 1 | " << bench::fmt("%.0f", p1_rate) << " |\n"
      << "| engine, parallelism 2 | " << bench::fmt("%.0f", p2_rate) << " |\n\n"
      << "- engine p1 / hand loop: **" << bench::fmt("%.2f", p1_rate / hand_rate) << "**, p2 / hand loop: **"
      << bench::fmt("%.2f", p2_rate / hand_rate) << "**\n"
      << "- end-to-end latency at " << bench::fmt("%.0f", rate) << " records/s for " << seconds
      << " s (scheduled send time -> readable by a consumer): p50 **" << bench::fmt("%.0f", l.p50) << " ms**, p99 **"
      << bench::fmt("%.0f", l.p99) << " ms** (target < 10 ms), p999 " << bench::fmt("%.0f", l.p999) << " ms, max "
      << bench::fmt("%.0f", l.max)
      << " ms; " << l.received << " of " << l.sent << " results read\n";
    if (!ok) r << "\nFAILED: a run lost or duplicated results\n";
    std::cout << r.str();
    bench::print_result("engine_kafka", "keyed_count_p1", p1_rate, "records/s", hand_rate, "hand_librdkafka_loop");
    bench::print_result("engine_kafka", "keyed_count_p2", p2_rate, "records/s", hand_rate, "hand_librdkafka_loop");
    bench::print_result("engine_kafka", "latency_p50_at_half_saturation_max_100k_per_s", l.p50, "ms", NAN, "", "");
    bench::print_result("engine_kafka", "latency_p99_at_half_saturation_max_100k_per_s", l.p99, "ms", NAN,
                        "", "<10");
    bench::print_result("engine_kafka", "latency_p999_at_half_saturation_max_100k_per_s", l.p999, "ms", NAN, "", "");
    if (!out_file.empty()) bench::write_file(out_file, r.str());
    broker.stop();
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench_engine_kafka: " << e.what() << "\n";
    return 1;
  }
}
