// order-aggregates (seed 002, JOBS.md): orders as text from partitioned-topic,
//   customer=customer-042,status=SHIPPED,region=eu-west,amount=88.40,ts=2024-05-23T12:34:56Z
// counted and summed per --key (status or region) per tumbling --window, written to
// flink-aggregates as
//   status=SHIPPED,count=42,sum=3712.40,windowStart=2024-05-23T12:34:30Z,windowEnd=2024-05-23T12:35:00Z
// or, with --format json, {"status":"SHIPPED","count":42,"sum":3712.40,"windowStart":"..","windowEnd":".."}.
// The first field is named after the key. Sums are exact (amounts are kept in millionths)
// and written with two decimals.
//
// Time: processing time by default (windows by the wall clock; --bounded fires every open
// window at the end). --event-time uses `ts`, with watermarks trailing the largest ts of
// each input partition by --max-out-of-orderness (max - bound - 1, recomputed after every
// poll of the source); windows keep their state --allowed-lateness longer, and records too
// late for their window go to --late-topic as they were read.
//
// Bad records (not key=value pairs; no status, region, amount or ts; an amount that is not a
// decimal; a ts that is not ISO-8601) go to --dlq with the reason in header `error`.
#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

#include "jobs/duration_option.h"
#include "jobs/job_catalog.h"
#include "jobs/kafka_job_flags.h"
#include "sluice/json.h"
#include "sluice/kafka_sink.h"
#include "sluice/time_text.h"
#include "sluice/windows.h"

namespace sluice::jobs {
namespace {

struct Order {
  std::string key;        // the value of the --key field
  int64_t micros = 0;     // amount in millionths
  Timestamp ts = 0;       // from `ts`
  std::string text;       // the record as read (for the late topic)
};

struct Totals {
  int64_t count = 0;
  int64_t micros = 0;
};
static_assert(Serializable<Totals>, "keyed state is checkpointed: Totals must stay serializable");

struct WindowResult {
  std::string key;
  Totals totals;
  TimeWindow window;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// "88.40", "-3", "0.125" -> millionths; nullopt for anything else (at most 6 decimals).
std::optional<int64_t> parse_amount(std::string_view s) {
  bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || fraction.size() > 6 || (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  int64_t frac = 0;
  for (size_t i = 0; i < 6; ++i) {
    char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    frac = frac * 10 + (c - '0');
  }
  value = value * 1000000 + frac;
  return negative ? -value : value;
}

// millionths -> "3712.40" (rounded half away from zero to cents).
std::string format_amount(int64_t micros) {
  bool negative = micros < 0;
  uint64_t m = negative ? -static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  uint64_t cents = (m + 5000) / 10000;
  return fmt::format("{}{}.{:02}", negative && cents ? "-" : "", cents / 100, cents % 100);
}

// Throws std::invalid_argument with the reason (the source sends the record to the DLQ).
Order parse_order(std::string_view text, const std::string& key_field) {
  std::string_view status, region, amount, ts;
  bool has_status = false, has_region = false, has_amount = false, has_ts = false;
  std::string_view rest = trim(text);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument(fmt::format("not key=value pairs: '{}' has no '='", part.substr(0, 60)));
    }
    std::string_view name = trim(part.substr(0, eq));
    std::string_view value = trim(part.substr(eq + 1));
    if (name == "status") status = value, has_status = true;
    else if (name == "region") region = value, has_region = true;
    else if (name == "amount") amount = value, has_amount = true;
    else if (name == "ts") ts = value, has_ts = true;
  }
  for (auto [present, value, name] : {std::tuple{has_status, status, "status"}, std::tuple{has_region, region, "region"},
                                      std::tuple{has_amount, amount, "amount"}, std::tuple{has_ts, ts, "ts"}}) {
    if (!present || value.empty()) throw std::invalid_argument(fmt::format("missing {}", name));
  }
  auto micros = parse_amount(amount);
  if (!micros) throw std::invalid_argument(fmt::format("amount is not a decimal number: '{}'", amount.substr(0, 40)));
  auto time = parse_iso8601(ts);
  if (!time) throw std::invalid_argument(fmt::format("ts is not an ISO-8601 time (2024-05-23T12:34:56Z): '{}'", ts.substr(0, 40)));
  return Order{std::string(key_field == "region" ? region : status), *micros, *time, std::string(text)};
}

class SumOrders final : public AggregateFunction<Order, Totals, Totals> {
 public:
  Totals create_accumulator() const override { return {}; }
  void add(const Order& o, Totals& acc) const override {
    ++acc.count;
    acc.micros += o.micros;
  }
  Totals get_result(const Totals& acc) const override { return acc; }
  Totals merge(Totals a, const Totals& b) const override { return {a.count + b.count, a.micros + b.micros}; }
};

class WithWindow final : public ProcessWindowFunction<Totals, WindowResult, std::string, TimeWindow> {
 public:
  void process(const std::string& key, Context& ctx, std::span<const Totals> totals,
               Collector<WindowResult>& out) override {
    for (const Totals& t : totals) out.collect(WindowResult{key, t, ctx.window()});
  }
};

std::string format_result(const WindowResult& r, const std::string& key_field, bool json) {
  std::string sum = format_amount(r.totals.micros);
  if (json) {
    JsonWriter w;
    w.begin_object().field(key_field, r.key).field("count", r.totals.count).key("sum").raw(sum);
    w.field("windowStart", format_iso8601(r.window.start)).field("windowEnd", format_iso8601(r.window.end));
    w.end_object();
    return w.take();
  }
  return fmt::format("{}={},count={},sum={},windowStart={},windowEnd={}", key_field, r.key, r.totals.count, sum,
                     format_iso8601(r.window.start), format_iso8601(r.window.end));
}

struct Flags {
  KafkaJobFlags kafka;
  std::string input_topic = "partitioned-topic";
  std::string output_topic = "flink-aggregates";
  std::string late_topic = "late-orders";
  std::string dlq = "partitioned-topic-dlq";
  std::string key = "status";
  std::string format = "text";
  Duration window{30000};
  bool event_time = false;
  Duration max_out_of_orderness{5000};
  Duration allowed_lateness{0};
  Duration idleness{0};
};

void build(StreamEnvironment& env, const Flags& f) {
  std::string key_field = f.key;
  bool json = f.format == "json";
  auto source = f.kafka
                    .source<Order>(f.input_topic, value_deserializer<Order>([key_field](std::string_view v) {
                                     return parse_order(v, key_field);
                                   }))
                    .dead_letter_topic(f.dlq)
                    .build();
  auto sink = f.kafka.sink<WindowResult>(f.output_topic)
                  .value_serializer([key_field, json](const WindowResult& r) { return format_result(r, key_field, json); },
                                    [](const WindowResult& r) { return r.key; })
                  .build();
  auto strategy = WatermarkStrategy<Order>::no_watermarks();
  if (f.event_time) {
    strategy = WatermarkStrategy<Order>::for_bounded_out_of_orderness(f.max_out_of_orderness)
                   .with_timestamp_assigner([](const Order& o, Timestamp) { return o.ts; });
    if (f.idleness.count() > 0) strategy = strategy.with_idleness(f.idleness);
  }
  auto keyed = env.from_source(source, strategy, "orders").uid("source").key_by([](const Order& o) { return o.key; });
  std::string name = fmt::format("{} per {} per {} ({})", "count and sum", key_field, format_duration(f.window),
                                 f.event_time ? "event time" : "processing time");
  if (f.event_time) {
    OutputTag<Order> late("late orders");
    auto windows = keyed.window(TumblingEventTimeWindows::of(f.window))
                       .allowed_lateness(f.allowed_lateness)
                       .side_output_late_data(late)
                       .aggregate(SumOrders{}, WithWindow{});
    windows.name(name).uid("windows").sink_to(sink).name("aggregates");
    auto late_sink = f.kafka.sink<Order>(f.late_topic)
                         .value_serializer([](const Order& o) { return o.text; }, [](const Order& o) { return o.key; })
                         .build();
    windows.side_output(late).sink_to(late_sink).name("late orders");
  } else {
    keyed.window(TumblingProcessingTimeWindows::of(f.window))
        .aggregate(SumOrders{}, WithWindow{})
        .name(name)
        .uid("windows")
        .sink_to(sink)
        .name("aggregates");
  }
}

}  // namespace

JobSpec order_aggregates_job() {
  return JobSpec{
      "order-aggregates",
      "count and sum orders per status or region per tumbling window (seed 002): partitioned-topic -> flink-aggregates",
      [](CLI::App& app) -> PipelineBuilder {
        auto flags = std::make_shared<Flags>();
        flags->kafka.add_to(app, "order-aggregates");
        app.add_option("--input-topic", flags->input_topic, "orders as key=value text")->capture_default_str();
        app.add_option("--output-topic", flags->output_topic, "one record per key and window")->capture_default_str();
        app.add_option("--late-topic", flags->late_topic, "records too late for their window (--event-time)")
            ->capture_default_str();
        app.add_option("--dlq", flags->dlq, "dead-letter topic for records that are not orders")->capture_default_str();
        app.add_option("--key", flags->key, "what to group by")
            ->check(CLI::IsMember({"status", "region"}))
            ->capture_default_str();
        app.add_option("--format", flags->format, "output: text (key=value,...) or json")
            ->check(CLI::IsMember({"text", "json"}))
            ->capture_default_str();
        add_duration_option(app, "--window", flags->window, "tumbling window size (e.g. 30s, 1m, 500ms)");
        app.add_flag("--event-time", flags->event_time, "window by each order's ts instead of the wall clock");
        add_duration_option(app, "--max-out-of-orderness", flags->max_out_of_orderness,
                            "how far behind the largest ts (per partition) the watermark trails (--event-time)");
        add_duration_option(app, "--allowed-lateness", flags->allowed_lateness,
                            "how long a window keeps accepting late records after it fired (--event-time)");
        add_duration_option(app, "--idleness", flags->idleness,
                            "a partition without records this long stops holding the watermark back (0: never)");
        return [flags](StreamEnvironment& env) {
          if (flags->window.count() <= 0) throw std::invalid_argument("--window must be longer than 0ms");
          flags->kafka.configure(env);
          build(env, *flags);
        };
      }};
}

}  // namespace sluice::jobs
