// `sluice consume TOPIC`: prints a topic's records to stdout, through librdkafka with
// assign() (no consumer group), against any Kafka cluster. Starts at the end by default,
// or --from-beginning / --offset / --timestamp; stops at --max records, at the end offsets
// seen at start (--exit-at-end), or on Ctrl-C/SIGTERM. Progress goes to stderr.
//
// Output formats (a contract: tests and other programs read them), one record per line:
//   value  the value's bytes as they are ("null" for a null value)
//   kv     key, --key-separator (default tab), value ("null" for a null key or value)
//   json   {"topic","partition","offset","timestamp" (ms, -1 if none),"timestamp_type"
//          ("create"|"log_append"|"none"),"key","headers":[{"key","value"}...],"value"}
//          key/value are JSON strings when their bytes are UTF-8, null when null, and
//          otherwise base64 with a sibling "<field>_encoding":"base64" (also in headers).
// --save-files DIR: instead of printing, writes the files of uploaded-file records (the
// upload page's uploaded_documents|videos|images, seed 004) into DIR, never outside it
// (cli/upload_file_saver.h), one "saved DIR/name (N bytes, md5 ok)" line per file; exits 1
// when a record could not be saved.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/utf8.h"
#include "cli/connection_flags.h"
#include "cli/upload_file_saver.h"
#include "kafka/client/config.h"
#include "kafka/client/console_log.h"
#include "kafka/client/consumer.h"
#include "kafka/client/progress_meter.h"
#include "kafka/client/stop_signal.h"

namespace sluice::cli {

namespace {

using namespace std::chrono_literals;
using kafka::client::ConnectionOptions;
using kafka::client::Message;
using kafka::client::StopSignal;

struct ConsumeOptions {
  ConnectionOptions connection;
  std::string topic;
  bool from_beginning = false;
  std::optional<std::string> offset;
  std::optional<int64_t> timestamp;
  int32_t partition = -1;
  uint64_t max = 0;
  bool exit_at_end = false;
  std::string format = "value";
  std::string key_separator = "\t";
  bool quiet = false;
  std::string save_files;  // a directory: write uploaded files there instead of printing
};



std::string base64(std::string_view in) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += table[v >> 18], out += table[(v >> 12) & 63], out += table[(v >> 6) & 63],
        out += table[v & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += table[v >> 18], out += table[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += table[v >> 18], out += table[(v >> 12) & 63], out += table[(v >> 6) & 63], out += '=';
  }
  return out;
}

// Sets obj[field] to the bytes: a JSON string when they are UTF-8, null when absent, and
// otherwise their base64 with obj[field + "_encoding"] = "base64", so the output is always
// valid JSON and the bytes can always be recovered exactly.
void put_bytes(nlohmann::ordered_json& obj, const std::string& field, std::optional<std::string_view> b) {
  if (!b) {
    obj[field] = nullptr;
  } else if (is_valid_utf8(*b)) {
    obj[field] = std::string(*b);
  } else {
    obj[field] = base64(*b);
    obj[field + "_encoding"] = "base64";
  }
}

std::string to_json(const Message& m) {
  nlohmann::ordered_json j;
  j["topic"] = m.topic();
  j["partition"] = m.partition();
  j["offset"] = m.offset();
  j["timestamp"] = m.timestamp();
  j["timestamp_type"] = m.timestamp_type();
  put_bytes(j, "key", m.key());
  auto headers = nlohmann::ordered_json::array();
  for (const auto& h : m.headers()) {
    nlohmann::ordered_json hj;
    put_bytes(hj, "key", h.key);
    put_bytes(hj, "value", h.value);
    headers.push_back(std::move(hj));
  }
  j["headers"] = std::move(headers);
  put_bytes(j, "value", m.value());
  return j.dump();
}

// Writes records to stdout in the chosen format. Returns false once stdout is closed
// (e.g. `| head`), which ends the command quietly.
class RecordPrinter {
 public:
  explicit RecordPrinter(const ConsumeOptions& o)
      : format_(o.format), separator_(o.key_separator), tty_(isatty(STDOUT_FILENO) != 0) {}

  bool print(const Message& m) {
    if (format_ == "json") {
      const auto line = to_json(m);
      write(line);
    } else {
      if (format_ == "kv") {
        write(m.key() ? *m.key() : std::string_view("null"));
        write(separator_);
      }
      write(m.value() ? *m.value() : std::string_view("null"));
    }
    write("\n");
    if (tty_) std::fflush(stdout);
    return !std::ferror(stdout);
  }
  bool flush() { return std::fflush(stdout) == 0 && !std::ferror(stdout); }

 private:
  void write(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }
  std::string format_;
  std::string separator_;
  bool tty_;
};

// One assigned partition: where it starts and, for --exit-at-end, where it ends.
struct PartitionPlan {
  int32_t id = 0;
  int64_t start = RD_KAFKA_OFFSET_END;
  int64_t end = 0;  // high watermark at start
  bool done = false;
};

int64_t parse_offset_flag(const std::string& text) {
  if (text == "earliest" || text == "beginning") return RD_KAFKA_OFFSET_BEGINNING;
  if (text == "latest" || text == "end") return RD_KAFKA_OFFSET_END;
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty()) {
    throw CLI::ValidationError("--offset", "expected N, -N (N before the end), earliest or latest");
  }
  return v >= 0 ? v : RD_KAFKA_OFFSET_TAIL(-v);
}

std::vector<PartitionPlan> plan_partitions(kafka::client::Consumer& consumer,
                                           const ConsumeOptions& o) {
  const auto timeout = o.connection.timeout();
  const auto md = consumer.handle().metadata(o.topic, timeout);
  const auto* t = md.find(o.topic);
  if (t == nullptr || t->error.code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    throw std::runtime_error("topic '" + o.topic + "' does not exist");
  }
  if (t->error) throw std::runtime_error("topic '" + o.topic + "': " + t->error.describe());
  std::vector<PartitionPlan> plans;
  for (const auto& p : t->partitions) {
    if (o.partition < 0 || p.id == o.partition) plans.push_back({p.id});
  }
  if (plans.empty()) {
    throw std::runtime_error("topic '" + o.topic + "' has " + std::to_string(t->partitions.size()) +
                             " partitions, no " + std::to_string(o.partition));
  }
  int64_t start = RD_KAFKA_OFFSET_END;
  if (o.from_beginning) start = RD_KAFKA_OFFSET_BEGINNING;
  if (o.offset) start = parse_offset_flag(*o.offset);
  for (auto& p : plans) p.start = start;
  if (o.timestamp) {
    std::vector<int32_t> ids;
    for (const auto& p : plans) ids.push_back(p.id);
    const auto offsets = consumer.offsets_for_times(o.topic, ids, *o.timestamp, timeout);
    for (size_t i = 0; i < plans.size(); ++i) {
      plans[i].start = offsets[i] >= 0 ? offsets[i] : RD_KAFKA_OFFSET_END;
    }
  }
  if (o.exit_at_end) {
    for (auto& p : plans) {
      const auto w = consumer.handle().watermarks(o.topic, p.id, timeout);
      p.end = w.high;
      int64_t first = p.start;
      if (p.start == RD_KAFKA_OFFSET_BEGINNING) first = w.low;
      if (p.start == RD_KAFKA_OFFSET_END) first = w.high;
      if (p.start <= RD_KAFKA_OFFSET_TAIL_BASE) {
        first = std::max(w.low, w.high - (RD_KAFKA_OFFSET_TAIL_BASE - p.start));
      }
      p.done = std::max(first, w.low) >= w.high;
    }
  }
  return plans;
}

void run_consume(const ConsumeOptions& o) {
  kafka::client::log_to_stderr();
  if (int(o.from_beginning) + int(o.offset.has_value()) + int(o.timestamp.has_value()) > 1) {
    throw CLI::ValidationError("consume",
                               "give only one of --from-beginning, --offset, --timestamp");
  }
  auto config = o.connection.make_config();
  config.set_default("fetch.wait.max.ms", "100");  // an empty partition's EOF comes sooner
  std::unique_ptr<UploadFileSaver> saver;
  if (!o.save_files.empty()) {
    saver = std::make_unique<UploadFileSaver>(o.save_files);
    // Uploads are up to 50 MB, about 67 MB of base64 in one record.
    config.set_default("fetch.max.bytes", "134217728");
    config.set_default("receive.message.max.bytes", "268435456");
  }
  kafka::client::Consumer consumer(std::move(config));
  StopSignal::install();
  auto plans = plan_partitions(consumer, o);
  std::map<int32_t, PartitionPlan*> by_id;
  std::vector<kafka::client::PartitionStart> starts;
  for (auto& p : plans) {
    by_id[p.id] = &p;
    starts.push_back({o.topic, p.id, p.start});
  }
  auto all_done = [&] {
    for (const auto& p : plans) {
      if (!p.done) return false;
    }
    return true;
  };
  RecordPrinter printer(o);
  kafka::client::ProgressMeter progress("consumed");
  uint64_t count = 0;
  uint64_t bytes = 0;
  std::string last_warning;
  bool output_closed = false;
  if (!(o.exit_at_end && all_done())) consumer.assign(starts);
  while (!StopSignal::requested() && !(o.exit_at_end && all_done()) &&
         (o.max == 0 || count < o.max)) {
    const auto m = consumer.poll(200ms);
    if (!m) {
      if (!printer.flush()) break;
      if (!o.quiet) progress.update(count, bytes);
      continue;
    }
    auto* plan = by_id.count(m.partition()) ? by_id[m.partition()] : nullptr;
    if (m.is_partition_eof()) {
      if (plan != nullptr && m.offset() >= plan->end) plan->done = true;
      continue;
    }
    if (const auto err = m.error()) {
      if (err.code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
          err.code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
          rd_kafka_fatal_error(consumer.handle().get(), nullptr, 0)) {
        throw std::runtime_error("consuming '" + o.topic + "' failed: " + err.describe());
      }
      if (err.describe() != last_warning) {  // transient (broker down, ...): say it once
        last_warning = err.describe();
        std::fprintf(stderr, "warning: %s\n", last_warning.c_str());
      }
      continue;
    }
    if (o.exit_at_end && plan != nullptr) {
      if (plan->done || m.offset() >= plan->end) {
        plan->done = true;
        continue;
      }
      if (m.offset() + 1 >= plan->end) plan->done = true;
    }
    if (saver) {
      const std::string where =
          o.topic + "/" + std::to_string(m.partition()) + "@" + std::to_string(m.offset());
      if (auto line = saver->save(m.value(), where)) std::printf("%s\n", line->c_str());
      if (!printer.flush()) break;
    } else if (!printer.print(m)) {
      output_closed = true;
      break;
    }
    ++count;
    bytes += m.raw()->len + m.raw()->key_len;
    if (!o.quiet) progress.update(count, bytes);
  }
  if (!output_closed) printer.flush();
  consumer.close();
  if (!o.quiet) progress.finish();
  if (saver && saver->failed() > 0) {
    throw std::runtime_error(std::to_string(saver->failed()) + " record(s) not saved (see above); " +
                             std::to_string(saver->saved()) + " file(s) saved in " + o.save_files);
  }
}

}  // namespace

void add_consume_command(CLI::App& app) {
  auto o = std::make_shared<ConsumeOptions>();
  auto* cmd = app.add_subcommand("consume", "Print a topic's records to stdout");
  add_connection_options(*cmd, o->connection);
  cmd->add_option("topic", o->topic, "topic to read")->required();
  cmd->add_flag("--from-beginning", o->from_beginning, "start at the earliest offset");
  cmd->add_option("-o,--offset", o->offset,
                  "start offset: N, -N (N records before the end), earliest, latest");
  cmd->add_option("--timestamp", o->timestamp,
                  "start at the first record with timestamp >= MS (epoch milliseconds)");
  cmd->add_option("-p,--partition", o->partition, "read only this partition (default: all)");
  cmd->add_option("-n,--max", o->max, "exit after this many records");
  cmd->add_flag("-e,--exit-at-end", o->exit_at_end,
                "exit when every partition reaches the end offset it had at start");
  cmd->add_option("-F,--format", o->format, "output format")
      ->check(CLI::IsMember({"value", "kv", "json"}))
      ->capture_default_str();
  cmd->add_option("-K,--key-separator", o->key_separator, "between key and value (kv format)");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress line or summary");
  cmd->add_option("--save-files", o->save_files,
                  "write the files of uploaded-file records (uploaded_documents|videos|images) "
                  "into DIR, never outside it, checking each file's MD5; prints one line per file");
  cmd->callback([o] { run_consume(*o); });
}

}  // namespace sluice::cli
