// `sluice generate KIND`: the seeds' producers. Writes a generator's records (see
// src/generators/generator.h) to the seed's topic through librdkafka, creating the topic
// when it is missing, at --rate records/s (a token bucket; 0: as fast as the client takes
// them) until --count records (0: until Ctrl-C). Same --seed, same records. A progress line
// on a terminal, a plain line every few seconds otherwise, a summary at the end; exits 1
// when the cluster is unreachable (after --timeout) or a record was not delivered.
// --print writes the values to stdout instead, one per line, without Kafka.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/connection_flags.h"
#include "generators/generator.h"
#include "generators/pacer.h"
#include "generators/text.h"
#include "kafka/client/admin_client.h"
#include "kafka/client/config.h"
#include "kafka/client/console_log.h"
#include "kafka/client/producer.h"
#include "kafka/client/progress_meter.h"
#include "kafka/client/stop_signal.h"

namespace sluice::cli {

namespace {

using namespace std::chrono_literals;
using generators::GeneratedRecord;
using generators::GeneratorOptions;
using generators::KindInfo;
using kafka::client::ClientError;
using kafka::client::StopSignal;

struct GenerateOptions {
  kafka::client::ConnectionOptions connection;
  GeneratorOptions gen;
  std::string topic;  // "": the kind's default
  int32_t partitions = 0;  // 0: the kind's default
  double rate = 0;
  uint64_t count = 0;
  std::string start_time;  // "": the seeds' example instant
  std::optional<int64_t> step_ms;
  std::string record_time = "produce";
  std::vector<std::string> resolutions;
  std::string compression = "none";
  bool print = false;
  bool quiet = false;
  bool event_rate_given = false;  // nexmark: --event-rate was on the command line
};

int64_t parse_start_time(const std::string& text) {
  if (text.empty()) return generators::kSeedEpochMs;
  if (text == "now") {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  if (text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text);
  int64_t ms = 0;
  if (!generators::parse_iso8601(text, ms)) {
    throw std::invalid_argument("--start-time '" + text +
                                "' is not 'now', epoch milliseconds or an ISO-8601 UTC time "
                                "like 2024-05-23T12:34:56Z");
  }
  return ms;
}

std::vector<generators::Resolution> parse_resolutions(const std::vector<std::string>& in) {
  std::vector<generators::Resolution> out;
  for (const auto& text : in) {
    generators::Resolution r;
    char x = 0;
    char extra = 0;
    if (std::sscanf(text.c_str(), "%d%c%d%c", &r.width, &x, &r.height, &extra) != 3 ||
        (x != 'x' && x != 'X')) {
      throw std::invalid_argument("--resolutions: '" + text + "' is not WIDTHxHEIGHT (e.g. 640x480)");
    }
    out.push_back(r);
  }
  return out;
}

// Creates the topic unless it exists (reading the metadata of every topic first, so that
// asking does not auto-create it with the broker's default partition count), then waits
// until every partition has a leader. Throws with a sentence saying what to do.
void ensure_topic(const GenerateOptions& o, const std::string& topic, int32_t partitions) {
  kafka::client::AdminClient admin(o.connection.make_config(), o.connection.timeout());
  auto md = admin.handle().metadata("", o.connection.timeout());
  if (const auto* t = md.find(topic); t == nullptr || t->error) {
    const auto outcomes = admin.create_topics({{topic, partitions, -1, {}}});
    const auto& err = outcomes.at(0).error;
    if (!err) {
      std::fprintf(stderr, "created topic %s with %d partition%s\n", topic.c_str(), partitions,
                   partitions == 1 ? "" : "s");
    } else if (err.code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      throw std::runtime_error("cannot create topic '" + topic + "': " + err.describe() +
                               " (create it yourself with: sluice topic create " + topic +
                               " --partitions " + std::to_string(partitions) + ")");
    }
  } else if (static_cast<int32_t>(t->partitions.size()) != partitions && !o.quiet &&
             o.partitions != 0) {
    std::fprintf(stderr, "topic %s exists with %zu partitions (not changed to %d)\n",
                 topic.c_str(), t->partitions.size(), partitions);
  }
  const auto deadline = std::chrono::steady_clock::now() + o.connection.timeout();
  for (;;) {
    md = admin.handle().metadata("", o.connection.timeout());
    const auto* t = md.find(topic);
    bool ready = t != nullptr && !t->error && !t->partitions.empty();
    if (ready) {
      for (const auto& p : t->partitions) ready &= p.leader >= 0;
    }
    if (ready) return;
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("topic '" + topic + "' has no leader after " +
                               std::to_string(o.connection.timeout_seconds) +
                               "s; is the broker healthy? (sluice topic describe " + topic + ")");
    }
    std::this_thread::sleep_for(100ms);
  }
}

void run_print(generators::Generator& gen, const GenerateOptions& o) {
  StopSignal::install();
  generators::RatePacer pacer(o.rate);
  GeneratedRecord r;
  for (uint64_t i = 0; (o.count == 0 || i < o.count) && !StopSignal::requested(); ++i) {
    generators::RatePacer::Clock::duration wait{};
    while (!StopSignal::requested() &&
           !pacer.try_acquire(generators::RatePacer::Clock::now(), wait)) {
      std::fflush(stdout);
      std::this_thread::sleep_for(std::min<generators::RatePacer::Clock::duration>(wait, 100ms));
    }
    if (StopSignal::requested()) break;
    gen.next(r);
    r.value.push_back('\n');
    if (std::fwrite(r.value.data(), 1, r.value.size(), stdout) != r.value.size()) {
      throw std::runtime_error("cannot write to stdout");
    }
  }
  std::fflush(stdout);
}

void run_generate(const KindInfo& kind, GenerateOptions o) {
  kafka::client::log_to_stderr();
  o.gen.start_ms = parse_start_time(o.start_time);
  // Real time asked for: unless told otherwise, event time advances as the wall clock does.
  if (o.step_ms) {
    o.gen.step_ms = *o.step_ms;
  } else if (o.start_time == "now" && o.rate > 0) {
    o.gen.step_ms = std::max<int64_t>(1, std::llround(1000.0 / o.rate));
    if (kind.name == "nexmark" && !o.event_rate_given) o.gen.nexmark_events_per_second = std::min(o.rate, 1e6);
  }
  if (!o.resolutions.empty()) o.gen.resolutions = parse_resolutions(o.resolutions);
  auto gen = generators::make_generator(kind.name, o.gen);
  if (o.print) return run_print(*gen, o);

  const std::string topic = o.topic.empty() ? std::string(kind.default_topic) : o.topic;
  const int32_t partitions = o.partitions > 0 ? o.partitions : kind.default_partitions;
  ensure_topic(o, topic, partitions);

  auto config = o.connection.make_config();
  config.set_default("linger.ms", "5");
  config.set_default("acks", "all");
  config.set_default("compression.codec", o.compression);
  config.set_default("message.timeout.ms", "30000");
  kafka::client::Producer producer(std::move(config));

  StopSignal::install();
  kafka::client::ProgressMeter progress("produced");
  generators::RatePacer pacer(o.rate);
  const bool event_time = o.record_time == "event";
  GeneratedRecord r;
  uint64_t sent = 0, bytes = 0, bad = 0, refused = 0;
  std::string first_refusal;
  while (!StopSignal::requested() && (o.count == 0 || sent < o.count)) {
    if (pacer.paced()) {
      generators::RatePacer::Clock::duration wait{};
      if (!pacer.try_acquire(generators::RatePacer::Clock::now(), wait)) {
        producer.poll(std::clamp(std::chrono::ceil<std::chrono::milliseconds>(wait), 1ms, 100ms));
        if (!o.quiet) progress.update(sent, bytes);
        continue;
      }
    }
    gen->next(r);
    kafka::client::OutgoingRecord out;
    out.topic = topic;
    if (r.has_key) out.key = r.key;
    out.value = r.value;
    out.timestamp_ms = event_time ? r.timestamp_ms : 0;
    if (const auto err = producer.produce(out)) {
      if (refused++ == 0) first_refusal = err.describe();
    }
    ++sent;
    bad += r.bad();
    bytes += r.value.size() + (r.has_key ? r.key.size() : 0);
    if ((sent & 255) == 0 || pacer.paced()) producer.poll(0ms);
    if (!o.quiet) progress.update(sent, bytes);
  }

  // Every delivery report, bounded by message.timeout.ms; a second Ctrl-C stops waiting.
  const bool interrupted = StopSignal::requested();
  while (producer.in_flight() > 0) {
    producer.flush(200ms);
    if (!o.quiet) progress.update(sent, bytes);
    if (!interrupted && StopSignal::requested()) break;
  }
  producer.poll(0ms);
  const auto& counts = producer.counts();
  const uint64_t unconfirmed = producer.in_flight();
  const uint64_t failed = counts.failed + refused + unconfirmed;
  std::string suffix = " to " + topic;
  if (bad > 0) suffix += ", " + std::to_string(bad) + " bad on purpose";
  if (failed > 0) suffix += ", " + std::to_string(failed) + " failed";
  if (!o.quiet || failed > 0) progress.finish(suffix);
  if (failed == 0) return;
  if (refused > 0) {
    std::fprintf(stderr, "  %llu refused by the client: %s\n",
                 static_cast<unsigned long long>(refused), first_refusal.c_str());
  }
  for (const auto& [why, n] : counts.failures) {
    std::fprintf(stderr, "  %llu failed: %s\n", static_cast<unsigned long long>(n), why.c_str());
  }
  if (unconfirmed > 0) {
    std::fprintf(stderr, "  %llu not confirmed before exit\n",
                 static_cast<unsigned long long>(unconfirmed));
  }
  throw std::runtime_error(std::to_string(failed) + " of " + std::to_string(sent) +
                           " records were not delivered to '" + topic + "'");
}

void add_disorder_options(CLI::App& cmd, GenerateOptions& o) {
  auto& d = o.gen.disorder;
  cmd.add_option("--out-of-order-fraction", d.out_of_order_fraction,
                 "fraction of records whose event time is up to --max-out-of-order-ms behind")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_option("--max-out-of-order-ms", d.max_out_of_order_ms,
                 "how far behind an out-of-order record may be")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--late-fraction", d.late_fraction,
                 "fraction of records whose event time is --late-by-ms behind (late data)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_option("--late-by-ms", d.late_by_ms, "how far behind a late record is")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

CLI::App* add_kind(CLI::App& parent, const KindInfo& kind) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd = parent.add_subcommand(std::string(kind.name), std::string(kind.description));
  if (kind.job != kind.name) cmd->alias(std::string(kind.job));
  cmd->footer("Writes to '" + std::string(kind.default_topic) + "' for the " +
              std::string(kind.job) + " job (sluice run " + std::string(kind.job) + ").");
  add_connection_options(*cmd, o->connection);
  cmd->add_option("-t,--topic", o->topic,
                  "topic to write to (default: " + std::string(kind.default_topic) + ")");
  cmd->add_option("--partitions", o->partitions,
                  "partitions when creating the topic (default: " +
                      std::to_string(kind.default_partitions) + ")")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-n,--count", o->count, "records to send (0: until Ctrl-C)")
      ->capture_default_str();
  cmd->add_option("-r,--rate", o->rate, "records per second (0: as fast as possible)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("-s,--seed", o->gen.seed, "random seed: the same seed gives the same records")
      ->capture_default_str();
  cmd->add_option("--bad-fraction", o->gen.bad_fraction,
                  "fraction of deliberately bad records (default: " +
                      std::to_string(kind.default_bad_fraction).substr(0, 4) + ")")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--start-time", o->start_time,
                  "event time of the first record: ISO-8601 UTC, epoch ms or 'now' (default: "
                  "2024-05-23T12:34:56Z, so that a seed always gives the same bytes)");
  cmd->add_option("--step-ms", o->step_ms,
                  "event-time advance per record (default: 100, or 1000/rate with "
                  "--start-time now)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--record-time", o->record_time,
                  "Kafka record timestamp: 'produce' (now) or 'event' (the generated event "
                  "time; old times fall under retention.ms)")
      ->check(CLI::IsMember({"produce", "event"}))
      ->capture_default_str();
  cmd->add_option("-z,--compression", o->compression, "compression codec")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  cmd->add_flag("--print", o->print, "write the values to stdout, one per line, not to Kafka");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress line or summary");

  const std::string name(kind.name);
  if (name == "clicks" || name == "url-clicks" || name == "transactions") {
    cmd->add_option("--users", o->gen.users,
                    "distinct users (default: " +
                        std::string(name == "clicks" ? "3" : name == "url-clicks" ? "10" : "100") +
                        ")")
        ->check(CLI::PositiveNumber);
  }
  if (name == "url-clicks") {
    cmd->add_option("--urls", o->gen.urls, "distinct urls: /a, /b, ...")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
  }
  if (name == "numbers") {
    cmd->add_option("--pair-sum,--pairSum", o->gen.pair_sum, "good values are 0..pair-sum")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
  }
  if (name == "orders") {
    cmd->add_option("--customers", o->gen.customers, "distinct customers")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
  }
  if (name == "transactions") {
    cmd->add_option("--locations", o->gen.locations, "distinct locations city_1..city_N")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
  }
  if (name == "frames") {
    cmd->add_option("--resolutions", o->resolutions,
                    "frame sizes WxH (default: 320x240,640x480,1280x720,1920x1080)")
        ->delimiter(',');
    cmd->add_option("--pattern", o->gen.pattern, "uniform (grey), gradient or mixed")
        ->check(CLI::IsMember({"uniform", "gradient", "mixed"}))
        ->capture_default_str();
    cmd->add_option("--frames-dir", o->gen.frames_dir,
                    "send the JPEG files of this folder instead of synthetic frames");
    cmd->add_option("--jpeg-quality", o->gen.jpeg_quality, "JPEG quality of synthetic frames")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    cmd->add_option("--sources", o->gen.sources,
                    "frame sources (record keys) (default: webcam,video_file,sample)")
        ->delimiter(',');
  }
  if (name == "nexmark") {
    cmd->footer("Writes persons, auctions and bids, one JSON event per record, to 'nexmark' for the "
                "nexmark-q0 ... nexmark-q11 jobs (sluice run nexmark-q5; docs/jobs/nexmark.md).");
    cmd->add_option("--event-rate", o->gen.nexmark_events_per_second,
                    "events per second of event time: event n happens at start-time + n/event-rate s "
                    "(the Nexmark spec's default 10000; with --start-time now and --rate: the rate)")
        ->check(CLI::Range(1.0, 1e6));
  }
  if (name == "url-clicks" || name == "orders" || name == "transactions" || name == "frames") {
    add_disorder_options(*cmd, *o);
  }
  cmd->callback([o, &kind, cmd] {
    if (kind.name == "nexmark") o->event_rate_given = cmd->count("--event-rate") > 0;
    run_generate(kind, *o);
  });
  return cmd;
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Write the seeds' data to Kafka (one kind per job)");
  cmd->require_subcommand(1);
  for (const auto& kind : generators::kinds()) add_kind(*cmd, kind);
}

}  // namespace sluice::cli
