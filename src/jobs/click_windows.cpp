// click-windows (seed 003, JOBS.md): clicks as JSON {"ts":1716467696000,"url":"/a","userId":"u7"}
// (ts in epoch ms) from `clicks`, in event time with watermarks trailing each partition's
// largest ts by --max-out-of-orderness (20s, as the seed), into three outputs:
//   1. --counts-topic (counts): per url per 5 s tumbling window,
//        {"url":"/a","count":12,"windowStart":1716467695000,"windowEnd":1716467700000}, key = url
//   2. --total-topic (total): every click, 10 s windows sliding by 5 s (one subtask),
//        {"count":310,"windowStart":1716467690000,"windowEnd":1716467700000}
//   3. stdout: clicks joined with the table of --urls (CSV url,category,title; the seed's
//      urls.csv, built in when no file is given) and counted per category per 1-minute
//      tumbling window, one JSON line each:
//        {"category":"docs","count":42,"windowStart":1716467640000,"windowEnd":1716467700000}
//      urls missing from the table count under "unknown".
// Window bounds are epoch ms, start inclusive, end exclusive. Clicks too late for their
// windows (after the watermark passed their end) are dropped, as in the seed's job; bad
// records (not JSON, no numeric ts, no url) go to --dlq with the reason in header `error`.
// Checkpoints every 2 s (the seed) come with issue 6.
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "jobs/duration_option.h"
#include "jobs/job_catalog.h"
#include "jobs/kafka_job_flags.h"
#include "sluice/file_connectors.h"
#include "sluice/json.h"
#include "sluice/kafka_sink.h"
#include "sluice/time_text.h"
#include "sluice/windows.h"

namespace sluice::jobs {
namespace {

// The table the job ships with (the seed's urls.csv plays this part): the urls the
// `url-clicks` generator makes, /a to /e.
constexpr std::string_view kDefaultUrls =
    "url,category,title\n"
    "/a,home,Home page\n"
    "/b,products,Product list\n"
    "/c,products,Product details\n"
    "/d,checkout,Basket and checkout\n"
    "/e,help,Help and contact\n";

struct Click {
  Timestamp ts = 0;
  std::string url;
};

struct Count {
  std::string name;  // url or category; empty for the total
  int64_t count = 0;
  TimeWindow window;
};

// One CSV line into fields: commas separate, double quotes quote ("" is a quote).
std::vector<std::string> csv_fields(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  return fields;
}

// url -> category from CSV text (url,category,title; a first line starting "url," is a header).
// Throws std::invalid_argument naming the line that has fewer than two fields.
std::unordered_map<std::string, std::string> parse_url_table(std::string_view csv, const std::string& origin) {
  std::unordered_map<std::string, std::string> table;
  size_t line_no = 0;
  while (!csv.empty()) {
    size_t nl = csv.find('\n');
    std::string_view line = csv.substr(0, nl);
    csv = nl == std::string_view::npos ? std::string_view() : csv.substr(nl + 1);
    ++line_no;
    if (line.empty() || line == "\r") continue;
    auto fields = csv_fields(line);
    if (line_no == 1 && fields[0] == "url") continue;
    if (fields.size() < 2 || fields[0].empty() || fields[1].empty()) {
      throw std::invalid_argument(fmt::format("{} line {}: expected url,category,title, got '{}'", origin, line_no, line));
    }
    table[fields[0]] = fields[1];
  }
  return table;
}

std::unordered_map<std::string, std::string> load_url_table(const std::string& path) {
  if (path.empty()) return parse_url_table(kDefaultUrls, "the built-in url table");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("--urls {}: cannot open the file", path));
  std::stringstream text;
  text << in.rdbuf();
  return parse_url_table(text.str(), path);
}

Click parse_click(const JsonValue& json) {
  const JsonValue* ts = json.find("ts");
  if (!ts || !ts->is_integer()) throw std::invalid_argument("no ts (epoch milliseconds, an integer) in the record");
  const JsonValue* url = json.find("url");
  if (!url || !url->is_string() || url->as_string().empty()) {
    throw std::invalid_argument("no url (a non-empty string) in the record");
  }
  return Click{ts->as_int(), url->as_string()};
}

template <class T>
class CountRecords final : public AggregateFunction<T, int64_t, int64_t> {
 public:
  int64_t create_accumulator() const override { return 0; }
  void add(const T&, int64_t& acc) const override { ++acc; }
  int64_t get_result(const int64_t& acc) const override { return acc; }
  int64_t merge(int64_t a, const int64_t& b) const override { return a + b; }
};

class KeyedCount final : public ProcessWindowFunction<int64_t, Count, std::string, TimeWindow> {
 public:
  void process(const std::string& key, Context& ctx, std::span<const int64_t> counts, Collector<Count>& out) override {
    for (int64_t n : counts) out.collect(Count{key, n, ctx.window()});
  }
};

class TotalCount final : public ProcessAllWindowFunction<int64_t, Count, TimeWindow> {
 public:
  void process(Context& ctx, std::span<const int64_t> counts, Collector<Count>& out) override {
    for (int64_t n : counts) out.collect(Count{"", n, ctx.window()});
  }
};

// {"<name_field>":"..","count":..,"windowStart":..,"windowEnd":..}; no name field when empty.
std::string count_json(const Count& c, std::string_view name_field) {
  JsonWriter w;
  w.begin_object();
  if (!name_field.empty()) w.field(name_field, c.name);
  w.field("count", c.count).field("windowStart", c.window.start).field("windowEnd", c.window.end).end_object();
  return w.take();
}

struct Flags {
  KafkaJobFlags kafka;
  std::string input_topic = "clicks";
  std::string counts_topic = "counts";
  std::string total_topic = "total";
  std::string dlq = "clicks-dlq";
  std::string urls;
  Duration max_out_of_orderness{20000};
  Duration idleness{0};
};

void build(StreamEnvironment& env, const Flags& f) {
  auto categories = std::make_shared<const std::unordered_map<std::string, std::string>>(load_url_table(f.urls));
  auto source = f.kafka.source<Click>(f.input_topic, json_deserializer<Click>(parse_click)).dead_letter_topic(f.dlq).build();
  auto strategy = WatermarkStrategy<Click>::for_bounded_out_of_orderness(f.max_out_of_orderness)
                      .with_timestamp_assigner([](const Click& c, Timestamp) { return c.ts; });
  if (f.idleness.count() > 0) strategy = strategy.with_idleness(f.idleness);
  auto clicks = env.from_source(source, strategy, "clicks").uid("source");

  auto counts_sink = f.kafka.sink<Count>(f.counts_topic)
                         .value_serializer([](const Count& c) { return count_json(c, "url"); },
                                           [](const Count& c) { return c.name; })
                         .build();
  clicks.key_by([](const Click& c) { return c.url; })
      .window(TumblingEventTimeWindows::of(Duration(5000)))
      .aggregate(CountRecords<Click>{}, KeyedCount{})
      .name("clicks per url per 5s")
      .uid("clicks-per-url")
      .sink_to(counts_sink)
      .name("counts");

  auto total_sink = f.kafka.sink<Count>(f.total_topic)
                        .value_serializer([](const Count& c) { return count_json(c, ""); })
                        .build();
  clicks.window_all(SlidingEventTimeWindows::of(Duration(10000), Duration(5000)))
      .aggregate(CountRecords<Click>{}, TotalCount{})
      .name("all clicks per 10s, sliding 5s")
      .uid("all-clicks")
      .sink_to(total_sink)
      .name("total");

  clicks
      .map([categories](const Click& c) {
        auto it = categories->find(c.url);
        return it == categories->end() ? std::string("unknown") : it->second;
      })
      .name("join urls.csv")
      .key_by([](const std::string& category) { return category; })
      .window(TumblingEventTimeWindows::of(Duration(60000)))
      .aggregate(CountRecords<std::string>{}, KeyedCount{})
      .name("clicks per category per 1m")
      .uid("clicks-per-category")
      .map([](const Count& c) { return count_json(c, "category"); })
      .name("to JSON")
      .sink_to(PrintSink<std::string>())
      .name("stdout")
      .set_parallelism(1);
}

}  // namespace

JobSpec click_windows_job() {
  return JobSpec{
      "click-windows",
      "clicks per url (5s), all clicks (10s sliding 5s), clicks per category (1m, to stdout) (seed 003): clicks -> counts, total",
      [](CLI::App& app) -> PipelineBuilder {
        auto flags = std::make_shared<Flags>();
        flags->kafka.add_to(app, "click-windows");
        app.add_option("--input-topic", flags->input_topic, "clicks as JSON {ts, url, userId}")->capture_default_str();
        app.add_option("--counts-topic", flags->counts_topic, "clicks per url per 5 s window")->capture_default_str();
        app.add_option("--total-topic", flags->total_topic, "all clicks per 10 s window, sliding by 5 s")
            ->capture_default_str();
        app.add_option("--dlq", flags->dlq, "dead-letter topic for records that are not clicks")->capture_default_str();
        app.add_option("--urls", flags->urls,
                       "CSV table url,category,title for the per-category counts (default: the built-in table of /a../e)")
            ->check(CLI::ExistingFile);
        add_duration_option(app, "--max-out-of-orderness", flags->max_out_of_orderness,
                            "how far behind each partition's largest ts the watermark trails");
        add_duration_option(app, "--idleness", flags->idleness,
                            "a partition without records this long stops holding the watermark back (0: never)");
        return [flags](StreamEnvironment& env) {
          flags->kafka.configure(env);
          build(env, *flags);
        };
      }};
}

}  // namespace sluice::jobs
