// file-uploads (seed 004, JOBS.md): the files the dashboard's upload page writes into
// uploaded_documents, uploaded_videos and uploaded_images (record: uploaded_file_record.h),
// analysed as the seed's file_flink_processor.py does:
//   - processed_files, key = file_id, one per file (the content is not copied):
//     {"file_id","filename","file_type","file_size","file_hash","upload_timestamp",
//      "mime_type","size_category","large_file","topic"} plus, for text files (valid UTF-8
//      with a text/* MIME type or a text extension: txt md csv json log xml html htm yaml
//      yml), "text_content" (the first 1000 characters), "char_count" and "line_count"
//      (newlines, plus one for an unterminated last line); for PNG and JPEG content (by its
//      bytes, whatever the name), "image_format", "image_width", "image_height";
//     large_file = file_size > 1 MiB (1,048,576 bytes); size_category: small (< 100 KiB),
//     medium (< 1 MiB), large (< 10 MiB), huge (>= 10 MiB);
//   - file_type_aggregations, per file_type and size_category per tumbling window
//     (--window, default 60s): {"file_type","size_category","window_start","window_end",
//     "file_count","total_bytes","avg_bytes","large_files"}.
// Event time from upload_timestamp unless --processing-time. Bad records (not JSON, a field
// missing, file_content not base64, a size or MD5 that does not match the content) go to
// --dlq with the reason in header `error`; they are checked and the metadata extracted in the
// source's deserializer, so the dead letter is the record as it was.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "jobs/byte_encodings.h"
#include "jobs/image_header.h"
#include "common/utf8.h"
#include "sluice/time_text.h"
#include "jobs/job_catalog.h"
#include "jobs/kafka_job_flags.h"
#include "jobs/uploaded_file_record.h"
#include "sluice/json.h"
#include "sluice/kafka_sink.h"

namespace sluice::jobs {
namespace {

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * 1024;
constexpr size_t kTextChars = 1000;

struct FileInfo {
  std::string file_id;
  std::string filename;
  std::string file_type;
  int64_t file_size = 0;
  std::string file_hash;
  std::string upload_timestamp;
  Timestamp event_time = 0;
  std::string mime_type;
  std::string topic;
  bool is_text = false;
  std::string text_content;
  int64_t char_count = 0;
  int64_t line_count = 0;
  std::optional<ImageSize> image;
};

struct AnalysedFile {
  FileInfo file;
  std::string size_category;
  bool large_file = false;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool has_text_type(const std::string& mime, const std::string& filename) {
  if (lower(mime).starts_with("text/")) return true;
  static const std::set<std::string> kText = {"txt", "md", "csv", "json", "log", "xml", "html", "htm", "yaml", "yml"};
  const size_t dot = filename.rfind('.');
  return dot != std::string::npos && kText.contains(lower(filename.substr(dot + 1)));
}

// Counts code points of valid UTF-8 and returns the byte length of the first `limit`.
size_t prefix_of_chars(std::string_view s, size_t limit, int64_t& total_chars) {
  size_t cut = s.size();
  int64_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (static_cast<size_t>(n) == limit) cut = std::min(cut, i);
    ++n;
  }
  total_chars = n;
  return cut;
}

FileInfo parse_file(const KafkaRecordView& r) {
  if (!r.value) throw std::invalid_argument("null value (tombstone), expected an uploaded-file JSON record");
  UploadedFileRecord u = parse_uploaded_file(*r.value);
  FileInfo f;
  f.file_id = std::move(u.file_id);
  f.filename = std::move(u.filename);
  f.file_type = std::move(u.file_type);
  f.file_size = u.file_size;
  f.file_hash = std::move(u.file_hash);
  f.upload_timestamp = std::move(u.upload_timestamp);
  f.event_time = require_iso8601(f.upload_timestamp);
  f.mime_type = std::move(u.mime_type);
  f.topic = std::string(r.topic);
  if (has_text_type(f.mime_type, f.filename) && is_valid_utf8(u.content)) {
    f.is_text = true;
    f.text_content = u.content.substr(0, prefix_of_chars(u.content, kTextChars, f.char_count));
    f.line_count = static_cast<int64_t>(std::count(u.content.begin(), u.content.end(), '\n'));
    if (!u.content.empty() && u.content.back() != '\n') ++f.line_count;
  }
  f.image = read_image_size(u.content);
  return f;
}

std::string size_category(int64_t bytes) {
  if (bytes < 100 * kKiB) return "small";
  if (bytes < kMiB) return "medium";
  if (bytes < 10 * kMiB) return "large";
  return "huge";
}

AnalysedFile analyse(const FileInfo& f) { return AnalysedFile{f, size_category(f.file_size), f.file_size > kMiB}; }

std::string processed_json(const AnalysedFile& a) {
  const FileInfo& f = a.file;
  JsonWriter w;
  w.begin_object()
      .field("file_id", f.file_id)
      .field("filename", f.filename)
      .field("file_type", f.file_type)
      .field("file_size", f.file_size)
      .field("file_hash", f.file_hash)
      .field("upload_timestamp", f.upload_timestamp)
      .field("mime_type", f.mime_type)
      .field("size_category", a.size_category)
      .field("large_file", a.large_file)
      .field("topic", f.topic);
  if (f.is_text) {
    w.field("text_content", f.text_content).field("char_count", f.char_count).field("line_count", f.line_count);
  }
  if (f.image) {
    w.field("image_format", f.image->format)
        .field("image_width", f.image->width)
        .field("image_height", f.image->height);
  }
  w.end_object();
  return w.take();
}

struct FileTotals {
  int64_t count = 0;
  int64_t bytes = 0;
  int64_t large = 0;
};
static_assert(Serializable<FileTotals>, "keyed state is checkpointed: FileTotals must stay serializable");

class SumFiles final : public AggregateFunction<AnalysedFile, FileTotals, FileTotals> {
 public:
  FileTotals create_accumulator() const override { return {}; }
  void add(const AnalysedFile& a, FileTotals& acc) const override {
    ++acc.count;
    acc.bytes += a.file.file_size;
    acc.large += a.large_file ? 1 : 0;
  }
  FileTotals get_result(const FileTotals& acc) const override { return acc; }
  FileTotals merge(FileTotals a, const FileTotals& b) const override {
    return {a.count + b.count, a.bytes + b.bytes, a.large + b.large};
  }
};

// The window key: file type and size category in one string (U+001F between them).
constexpr char kKeySeparator = '\x1f';

struct TypeWindow {
  std::string file_type;
  std::string size_category;
  Timestamp start = 0;
  Timestamp end = 0;
  FileTotals totals;
};

class WithTypeWindow final : public ProcessWindowFunction<FileTotals, TypeWindow, std::string, TimeWindow> {
 public:
  void process(const std::string& key, Context& ctx, std::span<const FileTotals> totals,
               Collector<TypeWindow>& out) override {
    const size_t cut = key.find(kKeySeparator);
    for (const auto& t : totals)
      out.collect({key.substr(0, cut), key.substr(cut + 1), ctx.window().start, ctx.window().end, t});
  }
};

std::string aggregation_json(const TypeWindow& t) {
  JsonWriter w;
  w.begin_object()
      .field("file_type", t.file_type)
      .field("size_category", t.size_category)
      .field("window_start", format_iso8601(t.start))
      .field("window_end", format_iso8601(t.end))
      .field("file_count", t.totals.count)
      .field("total_bytes", t.totals.bytes)
      .field("avg_bytes", std::round(double(t.totals.bytes) / double(t.totals.count) * 100.0) / 100.0)
      .field("large_files", t.totals.large)
      .end_object();
  return w.take();
}

struct Flags {
  KafkaJobFlags kafka;
  std::vector<std::string> input_topics = {"uploaded_documents", "uploaded_videos", "uploaded_images"};
  std::string processed_topic = "processed_files";
  std::string aggregations_topic = "file_type_aggregations";
  std::string dlq = "uploaded_files-dlq";
  std::string window = "60s";
  std::string max_out_of_orderness = "5s";
  bool processing_time = false;
};

template <class Assigner>
void add_aggregations(const DataStream<AnalysedFile>& files, Assigner assigner, const Flags& f, bool event_time) {
  const OutputTag<AnalysedFile> late("late-files");
  auto windows = files.key_by([](const AnalysedFile& a) { return a.file.file_type + kKeySeparator + a.size_category; })
                     .window(assigner);
  if (event_time) windows = windows.side_output_late_data(late);
  auto aggregations = windows.aggregate(SumFiles{}, WithTypeWindow{}).name("per type and size per window").uid("per-type-windows");
  aggregations
      .sink_to(f.kafka.sink<TypeWindow>(f.aggregations_topic)
                   .value_serializer(aggregation_json, [](const TypeWindow& t) { return t.file_type; })
                   .build())
      .name(f.aggregations_topic);
  if (event_time) {
    aggregations.side_output(late)
        .sink_to(f.kafka.sink<AnalysedFile>(f.dlq)
                     .record_serializer([](const AnalysedFile& a, const SinkContext&, ProducerRecord& out) {
                       out.key.emplace(a.file.file_id);
                       out.value.emplace(processed_json(a));
                       out.add_header("error", "late: upload_timestamp " + a.file.upload_timestamp +
                                                   " is behind the watermark; its window has fired");
                     })
                     .build())
        .name("late files");
  }
}

void build(StreamEnvironment& env, const Flags& f) {
  const Duration window = parse_duration(f.window);
  if (window.count() <= 0) throw std::invalid_argument("--window must be longer than 0");
  const Duration bound = parse_duration(f.max_out_of_orderness);
  if (f.input_topics.empty()) throw std::invalid_argument("--input-topics needs at least one topic");
  auto builder = f.kafka.source<FileInfo>(f.input_topics.front(), [](const KafkaRecordView& r) {
    return Deserialized<FileInfo>::ok(parse_file(r));
  });
  for (size_t i = 1; i < f.input_topics.size(); ++i) builder.topic(f.input_topics[i]);
  auto source = builder
                    .dead_letter_topic(f.dlq)
                    // Uploads are up to 50 MB (about 67 MB of base64): one record per fetch.
                    .property("fetch.max.bytes", "134217728")
                    .property("receive.message.max.bytes", "268435456")
                    .max_records_per_poll(16)
                    .build();
  auto strategy = f.processing_time
                      ? WatermarkStrategy<FileInfo>::no_watermarks()
                      : WatermarkStrategy<FileInfo>::for_bounded_out_of_orderness(bound)
                            .with_timestamp_assigner([](const FileInfo& fi, Timestamp) { return fi.event_time; })
                            .with_idleness(Duration(10000));
  auto files = env.from_source(source, strategy, "uploaded files").uid("source").map(analyse).name("file analysis");
  files
      .sink_to(f.kafka.sink<AnalysedFile>(f.processed_topic)
                   .value_serializer(processed_json, [](const AnalysedFile& a) { return a.file.file_id; })
                   .build())
      .name(f.processed_topic);
  if (f.processing_time) {
    add_aggregations(files, TumblingProcessingTimeWindows::of(window), f, false);
  } else {
    add_aggregations(files, TumblingEventTimeWindows::of(window), f, true);
  }
}

}  // namespace

JobSpec file_uploads_job() {
  return JobSpec{
      "file-uploads",
      "uploaded files (seed 004): uploaded_documents|videos|images -> processed_files, file_type_aggregations",
      [](CLI::App& app) -> PipelineBuilder {
        auto flags = std::make_shared<Flags>();
        flags->kafka.add_to(app, "file-uploads");
        app.add_option("--input-topics", flags->input_topics, "the upload topics to read")
            ->capture_default_str()
            ->delimiter(',');
        app.add_option("--processed-topic", flags->processed_topic, "one analysis per file")->capture_default_str();
        app.add_option("--aggregations-topic", flags->aggregations_topic,
                       "per file type and size category per window")
            ->capture_default_str();
        app.add_option("--dlq", flags->dlq, "dead-letter topic for bad and late records")->capture_default_str();
        app.add_option("--window", flags->window, "tumbling window size (e.g. 60s, 5m)")->capture_default_str();
        app.add_option("--max-out-of-orderness", flags->max_out_of_orderness,
                       "event time: how far behind the newest upload_timestamp a file may arrive")
            ->capture_default_str();
        app.add_flag("--processing-time", flags->processing_time,
                     "windows by processing time (the seed's setting) instead of upload_timestamp");
        return [flags](StreamEnvironment& env) {
          flags->kafka.configure(env);
          build(env, *flags);
        };
      }};
}

}  // namespace sluice::jobs
