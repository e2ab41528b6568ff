// `sluice demo`: the whole pipeline in one process, for a first look. It starts the
// embedded broker, creates the click-count seed's topics, runs a generator of click events
// into `input-topic`, the click-count job (src/jobs) from it to `output-topic`, and a live
// consumer that prints the job's output, until Ctrl-C (or --seconds); then it drains the
// job and stops everything cleanly. It serves the dashboard (--ui) with the job on it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "broker/broker.h"
#include "cli/commands.h"
#include "cli/host_port.h"
#include "cli/ui_flags.h"
#include "kafka/client/consumer.h"
#include "kafka/client/producer.h"
#include "kafka/client/stop_signal.h"
#include "jobs/job_catalog.h"
#include "web/engine_jobs.h"

namespace sluice::cli {
namespace {

using namespace std::chrono_literals;
namespace client = sluice::kafka::client;

struct DemoOptions {
  std::string listen = "127.0.0.1:9092";
  std::string data_dir = "sluice-demo-data";
  std::string topic = "input-topic";
  std::string output_topic = "output-topic";
  double rate = 5;
  int seconds = 0;  // 0: until Ctrl-C
  int users = 5;
  uint32_t seed = 42;
  UiFlags ui;
};

/// Click events as the click-count seed sends them: {"userId":"u3","action":"CLICK"}.
void run_generator(const std::string& bootstrap, const DemoOptions& opts,
                   const std::atomic<bool>& stop) {
  client::Config config;
  config.set("bootstrap.servers", bootstrap);
  config.set("linger.ms", "5");
  client::Producer producer(std::move(config));
  std::mt19937 rng(opts.seed);
  static constexpr const char* kActions[] = {"CLICK", "VIEW", "ADD_TO_CART"};
  const auto period = std::chrono::duration<double>(1.0 / opts.rate);
  auto next = std::chrono::steady_clock::now();
  while (!stop) {
    std::string user = "u" + std::to_string(1 + rng() % opts.users);
    std::string value = R"({"userId":")" + user + R"(","action":")" + kActions[rng() % 3] + "\"}";
    client::OutgoingRecord record;
    record.topic = opts.topic;
    record.key = user;
    record.value = value;
    if (auto error = producer.produce(record))
      spdlog::warn("generator: {}", error.describe());
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
    while (!stop && std::chrono::steady_clock::now() < next) producer.poll(20ms);
  }
  producer.flush(5s);
}

/// The click-count job of `sluice run click-count`, reading what the generator writes.
JobClient start_click_count(const std::string& bootstrap, const DemoOptions& opts) {
  const auto& catalog = jobs::job_catalog();
  auto spec = std::find_if(catalog.begin(), catalog.end(), [](auto& j) { return j.name == "click-count"; });
  CLI::App flags;
  auto build = spec->define(flags);
  flags.parse(std::vector<std::string>{opts.output_topic, "--output-topic", opts.topic, "--input-topic",
                                       "earliest", "--starting-offsets", bootstrap, "--bootstrap-servers"});
  StreamEnvironment env;
  build(env);
  return env.execute_async("click-count");
}

/// Prints every record of the topic as it arrives: partition, offset, key and value.
void run_consumer(const std::string& bootstrap, const std::string& topic,
                  const std::atomic<bool>& stop) {
  client::Config config;
  config.set("bootstrap.servers", bootstrap);
  config.set("group.id", "sluice-demo");
  client::Consumer consumer(std::move(config));
  consumer.assign({{topic, 0, RD_KAFKA_OFFSET_BEGINNING}});
  while (!stop) {
    auto message = consumer.poll(200ms);
    if (!message || message.is_partition_eof()) continue;
    if (auto error = message.error()) {
      spdlog::warn("consumer: {}", error.describe());
      continue;
    }
    std::printf("%s-%d@%lld  %.*s  %.*s\n", topic.c_str(), message.partition(),
                static_cast<long long>(message.offset()),
                int(message.key().value_or("").size()), message.key().value_or("").data(),
                int(message.value().value_or("").size()), message.value().value_or("").data());
    std::fflush(stdout);
  }
  consumer.close();
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "demo", "Broker, generator and live consumer in one process (Ctrl-C to stop)");
  auto opts = std::make_shared<DemoOptions>();
  cmd->add_option("--listen", opts->listen, "Broker address")->capture_default_str();
  cmd->add_option("--data-dir", opts->data_dir, "Broker data dir")->capture_default_str();
  cmd->add_option("--topic", opts->topic, "Topic the generator writes")->capture_default_str();
  cmd->add_option("--rate", opts->rate, "Events per second")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seconds", opts->seconds, "Stop after this long (0: until Ctrl-C)")
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Random seed of the generator")->capture_default_str();
  add_ui_options(*cmd, opts->ui);

  cmd->callback([opts] {
    broker::BrokerConfig config;
    auto [host, port] = parse_host_port(opts->listen, 9092);
    config.listen_host = host;
    config.listen_port = port;
    config.data_dir = opts->data_dir;
    config.log.flush.kind = log::FlushPolicy::kInterval;
    broker::Broker broker(config);
    auto& logs = broker.logs();
    for (const std::string& topic : {opts->topic, opts->output_topic}) {
      if (logs.partition_count(topic) == 0) {
        auto created = logs.create_topic(topic, 1, {});
        if (!created.ok()) throw std::runtime_error(created.message);
      }
    }
    std::thread broker_thread([&] { broker.run(); });
    const std::string bootstrap = broker.advertised_host() + ":" + std::to_string(broker.port());
    std::fprintf(stderr,
                 "sluice demo: broker at %s (data in %s); generating clicks into '%s' at %g/s;\n"
                 "the click-count job writes to '%s', printed below.\n"
                 "Try from another terminal: kcat -b %s -C -t %s   (Ctrl-C here stops the demo)\n",
                 bootstrap.c_str(), opts->data_dir.c_str(), opts->topic.c_str(), opts->rate,
                 opts->output_topic.c_str(), bootstrap.c_str(), opts->topic.c_str());
    JobClient job = start_click_count(bootstrap, *opts);
    web::EngineJobs jobs;
    jobs.add(job);
    auto dashboard = start_dashboard(opts->ui, bootstrap, true, &jobs);
    if (dashboard)
      std::fprintf(stderr, "sluice demo: dashboard at %s\n", dashboard->url(true).c_str());

    client::StopSignal::install();
    std::atomic<bool> stop{false};
    std::thread generator([&] { run_generator(bootstrap, *opts, stop); });
    std::thread consumer([&] { run_consumer(bootstrap, opts->output_topic, stop); });
    const auto started = std::chrono::steady_clock::now();
    while (!client::StopSignal::requested() &&
           (opts->seconds <= 0 || std::chrono::steady_clock::now() - started <
                                      std::chrono::seconds(opts->seconds)))
      std::this_thread::sleep_for(100ms);
    stop = true;
    generator.join();
    job.stop();  // drain: what the generator wrote is counted and flushed
    job.wait();
    std::this_thread::sleep_for(300ms);  // let the consumer print the last counts
    consumer.join();
    dashboard.reset();
    broker.stop();
    broker_thread.join();
    std::fprintf(stderr, "sluice demo: stopped cleanly\n");
  });
}

}  // namespace sluice::cli
