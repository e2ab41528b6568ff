// `sluice produce TOPIC`: one record per input line (stdin or --file), through librdkafka,
// against any Kafka cluster. Waits for every delivery report; exits 1 and says how many
// records failed if any did. Progress and the summary go to stderr.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/connection_flags.h"
#include "kafka/client/config.h"
#include "kafka/client/console_log.h"
#include "kafka/client/producer.h"
#include "kafka/client/progress_meter.h"
#include "kafka/client/stop_signal.h"

namespace sluice::cli {

namespace {

using namespace std::chrono_literals;
using kafka::client::ConnectionOptions;
using kafka::client::StopSignal;

struct ProduceOptions {
  ConnectionOptions connection;
  std::string topic;
  std::string file;
  std::optional<std::string> key_separator;
  std::vector<std::string> headers;
  int32_t partition = -1;
  double rate = 0;
  std::string compression = "none";
  std::string acks = "all";
  bool quiet = false;
};

// Reads '\n'-terminated lines from a file descriptor without the '\n' (a last line without
// one counts too). Stops early, returning false, when a stop signal interrupts a read.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd), buf_(1 << 16) {}

  bool next(std::string& line) {
    line.clear();
    for (;;) {
      if (pos_ < end_) {
        const char* start = buf_.data() + pos_;
        const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
        if (nl != nullptr) {
          line.append(start, nl);
          pos_ += static_cast<size_t>(nl - start) + 1;
          return true;
        }
        line.append(start, end_ - pos_);
        pos_ = end_ = 0;
      }
      if (eof_) return !line.empty();
      const ssize_t n = ::read(fd_, buf_.data(), buf_.size());
      if (n < 0) {
        if (errno == EINTR) {
          if (StopSignal::requested()) return false;
          continue;
        }
        throw std::runtime_error(std::string("cannot read input: ") + std::strerror(errno));
      }
      if (n == 0) {
        eof_ = true;
        continue;
      }
      pos_ = 0;
      end_ = static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
};

// Checks that the topic (and partition) exist before reading any input, so that a typo
// or a missing broker fails fast instead of after message.timeout.ms. A topic that the
// broker is auto-creating (LEADER_NOT_AVAILABLE) is waited for within the timeout.
void check_topic(kafka::client::Producer& producer, const ProduceOptions& o) {
  const auto deadline = std::chrono::steady_clock::now() + o.connection.timeout();
  for (;;) {
    const auto md = producer.handle().metadata(o.topic, o.connection.timeout());
    const auto* t = md.find(o.topic);
    const auto err = t ? t->error.code : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      throw std::runtime_error("topic '" + o.topic + "' does not exist (create it with: sluice " +
                               "topic create " + o.topic + ")");
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && !t->partitions.empty()) {
      if (o.partition >= static_cast<int32_t>(t->partitions.size())) {
        throw std::runtime_error("topic '" + o.topic + "' has " +
                                 std::to_string(t->partitions.size()) + " partitions, no " +
                                 std::to_string(o.partition));
      }
      return;
    }
    if (err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE && err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("topic '" + o.topic + "': " + t->error.describe());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("topic '" + o.topic + "' has no leader after " +
                               std::to_string(o.connection.timeout_seconds) + "s");
    }
    std::this_thread::sleep_for(200ms);
  }
}

void run_produce(const ProduceOptions& o) {
  kafka::client::log_to_stderr();
  std::vector<kafka::client::Header> headers;
  for (const auto& h : o.headers) {
    auto [k, v] = kafka::client::parse_assignment(h);
    headers.push_back({std::move(k), std::move(v)});
  }
  auto config = o.connection.make_config();
  config.set_default("compression.codec", o.compression);
  config.set_default("acks", o.acks);
  config.set_default("linger.ms", "5");
  config.set_default("message.timeout.ms", "30000");
  kafka::client::Producer producer(std::move(config));
  check_topic(producer, o);

  int fd = STDIN_FILENO;
  if (!o.file.empty() && o.file != "-") {
    fd = ::open(o.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + o.file + ": " + std::strerror(errno));
  }
  StopSignal::install();
  LineReader reader(fd);
  kafka::client::ProgressMeter progress("produced");
  uint64_t sent = 0;
  uint64_t bytes = 0;
  uint64_t refused = 0;
  std::string first_refusal;
  const auto start = std::chrono::steady_clock::now();
  std::string line;
  while (!StopSignal::requested() && reader.next(line)) {
    if (o.rate > 0) {  // pace: record i leaves no earlier than start + i/rate
      const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(sent / o.rate));
      while (!StopSignal::requested()) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= due) break;
        producer.poll(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(due - now) + 1ms,
                               std::chrono::milliseconds(100)));
      }
    }
    kafka::client::OutgoingRecord r;
    r.topic = o.topic;
    r.partition = o.partition;
    r.headers = &headers;
    std::string_view text = line;
    r.value = text;
    if (o.key_separator) {
      const auto at = text.find(*o.key_separator);
      if (at != std::string_view::npos) {
        r.key = text.substr(0, at);
        r.value = text.substr(at + o.key_separator->size());
      }
    }
    if (const auto err = producer.produce(r)) {
      if (refused++ == 0) first_refusal = err.describe();
    }
    ++sent;
    bytes += line.size();
    producer.poll(0ms);
    if (!o.quiet) progress.update(sent, bytes);
  }
  if (fd != STDIN_FILENO) ::close(fd);

  // Wait for every delivery report (bounded by message.timeout.ms). A signal that arrives
  // while waiting stops the wait; one that stopped the reading does not.
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
  std::string suffix;
  if (failed > 0) suffix = ", " + std::to_string(failed) + " failed";
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
                           " records were not delivered to '" + o.topic + "'");
}

}  // namespace

void add_produce_command(CLI::App& app) {
  auto o = std::make_shared<ProduceOptions>();
  auto* cmd = app.add_subcommand("produce", "Send lines from stdin or a file as records");
  add_connection_options(*cmd, o->connection);
  cmd->add_option("topic", o->topic, "topic to write to")->required();
  cmd->add_option("-f,--file", o->file, "read lines from this file instead of stdin");
  cmd->add_option("-K,--key-separator", o->key_separator,
                  "split each line into key and value at the first SEP");
  cmd->add_option("-H,--header", o->headers, "header key=value for every record (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("-p,--partition", o->partition, "write to this partition (default: by key)");
  cmd->add_option("--rate", o->rate, "at most this many records per second")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-z,--compression", o->compression, "compression codec")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  cmd->add_option("--acks", o->acks, "acknowledgements to wait for")
      ->check(CLI::IsMember({"0", "1", "all", "-1"}))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "no progress line or summary");
  cmd->callback([o] { run_produce(*o); });
}

}  // namespace sluice::cli
