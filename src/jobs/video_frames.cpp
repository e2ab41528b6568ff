// video-frames (seed 004, JOBS.md): frames from `video_frames` as the seed's
// video_frame_producer.py writes them
//   {"frame_id","timestamp","source","frame_data":"<base64 JPEG>","frame_width",
//    "frame_height","frame_channels","frame_size_bytes","metadata"}
// analysed as the seed's video_flink_processor.py does:
//   - filter: frames higher than 480p (the JPEG's own height > 480; the declared
//     frame_width/frame_height are not trusted);
//   - processed_video_frames, key = source:
//     {"frame_id","source","timestamp","frame_width","frame_height","resolution_category",
//      "brightness","aspect_ratio","compression_ratio","frame_size_bytes"}
//     brightness = mean luma (0..255) of the decoded image (libjpeg, 2 decimals);
//     aspect_ratio = width / height (4 decimals); compression_ratio = width x height x
//     frame_channels (default 3) / JPEG bytes (2 decimals); frame_size_bytes = JPEG bytes;
//     resolution_category: 4k (height >= 2160), 1440p (>= 1440), 1080p (>= 1080),
//     720p (>= 720), else hd_ready (481..719);
//   - video_source_aggregations, per source and resolution category per tumbling window
//     (--window, default 60s): {"source","resolution_category","window_start","window_end",
//     "frame_count","avg_brightness","avg_size_bytes"} (averages to 2 decimals).
// Event time from `timestamp` (bounded out-of-orderness) unless --processing-time.
// Bad records (not JSON, no source, frame_data not base64, not a JPEG, a truncated or
// corrupt JPEG among the frames that are analysed) go to --dlq with the reason in header
// `error`. Frames are decoded in the source's deserializer so that a corrupt one reaches the
// dead-letter topic as the record it was.
#include <fmt/format.h>

#include <cmath>

#include "jobs/byte_encodings.h"
#include "jobs/image_header.h"
#include "sluice/time_text.h"
#include "jobs/job_catalog.h"
#include "jobs/jpeg_luma.h"
#include "jobs/kafka_job_flags.h"
#include "sluice/json.h"
#include "sluice/kafka_sink.h"

namespace sluice::jobs {
namespace {

constexpr int kMinHeightExclusive = 480;

struct Frame {
  std::string frame_id;
  std::string source;
  std::string timestamp;
  Timestamp event_time = 0;
  int width = 0;
  int height = 0;
  int channels = 3;
  int64_t jpeg_bytes = 0;
  double brightness = 0;  // measured only for frames above 480p
};

struct AnalysedFrame {
  Frame frame;
  std::string resolution_category;
  double aspect_ratio = 0;
  double compression_ratio = 0;
};

double round_to(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

std::string resolution_category(int height) {
  if (height >= 2160) return "4k";
  if (height >= 1440) return "1440p";
  if (height >= 1080) return "1080p";
  if (height >= 720) return "720p";
  return "hd_ready";
}

Frame parse_frame(const JsonValue& json) {
  if (!json.is_object()) throw std::invalid_argument("the record is JSON but not an object");
  Frame f;
  const JsonValue* source = json.find("source");
  if (!source || !source->is_string() || source->as_string().empty())
    throw std::invalid_argument("no source (a non-empty string) in the record");
  f.source = source->as_string();
  if (const JsonValue* id = json.find("frame_id"); id && id->is_string()) f.frame_id = id->as_string();
  const JsonValue* ts = json.find("timestamp");
  if (!ts || !ts->is_string()) throw std::invalid_argument("no timestamp (an ISO-8601 string) in the record");
  f.timestamp = ts->as_string();
  f.event_time = require_iso8601(f.timestamp);
  if (const JsonValue* c = json.find("frame_channels"); c && c->is_integer() && c->as_int() > 0 && c->as_int() <= 4)
    f.channels = static_cast<int>(c->as_int());
  const JsonValue* data = json.find("frame_data");
  if (!data || !data->is_string()) throw std::invalid_argument("no frame_data (a base64 string) in the record");
  const std::string jpeg = base64_decode(data->as_string());
  f.jpeg_bytes = static_cast<int64_t>(jpeg.size());
  const auto size = read_image_size(jpeg);
  if (!size || std::string_view(size->format) != "jpeg")
    throw std::invalid_argument("frame_data is not a JPEG (no complete JPEG header)");
  f.width = size->width;
  f.height = size->height;
  if (f.height > kMinHeightExclusive) {
    const LumaStats luma = measure_jpeg_luma(jpeg);  // throws on a corrupt or truncated JPEG
    f.width = luma.width;
    f.height = luma.height;
    f.brightness = luma.mean_luma;
  }
  return f;
}

AnalysedFrame analyse(const Frame& f) {
  AnalysedFrame a{f, resolution_category(f.height), 0, 0};
  a.aspect_ratio = round_to(double(f.width) / double(f.height), 4);
  a.compression_ratio =
      f.jpeg_bytes > 0 ? round_to(double(f.width) * double(f.height) * f.channels / double(f.jpeg_bytes), 2) : 0;
  return a;
}

std::string processed_json(const AnalysedFrame& a) {
  JsonWriter w;
  w.begin_object()
      .field("frame_id", a.frame.frame_id)
      .field("source", a.frame.source)
      .field("timestamp", a.frame.timestamp)
      .field("frame_width", a.frame.width)
      .field("frame_height", a.frame.height)
      .field("resolution_category", a.resolution_category)
      .field("brightness", round_to(a.frame.brightness, 2))
      .field("aspect_ratio", a.aspect_ratio)
      .field("compression_ratio", a.compression_ratio)
      .field("frame_size_bytes", a.frame.jpeg_bytes)
      .end_object();
  return w.take();
}

struct FrameTotals {
  int64_t count = 0;
  double brightness_sum = 0;
  int64_t bytes_sum = 0;
};
static_assert(Serializable<FrameTotals>, "keyed state is checkpointed: FrameTotals must stay serializable");

class SumFrames final : public AggregateFunction<AnalysedFrame, FrameTotals, FrameTotals> {
 public:
  FrameTotals create_accumulator() const override { return {}; }
  void add(const AnalysedFrame& a, FrameTotals& acc) const override {
    ++acc.count;
    acc.brightness_sum += a.frame.brightness;
    acc.bytes_sum += a.frame.jpeg_bytes;
  }
  FrameTotals get_result(const FrameTotals& acc) const override { return acc; }
  FrameTotals merge(FrameTotals a, const FrameTotals& b) const override {
    return {a.count + b.count, a.brightness_sum + b.brightness_sum, a.bytes_sum + b.bytes_sum};
  }
};

// The window key: source and resolution category in one string (U+001F between them).
using SourceKey = std::string;
constexpr char kKeySeparator = '\x1f';

struct SourceWindow {
  std::string source;
  std::string category;
  Timestamp start = 0;
  Timestamp end = 0;
  FrameTotals totals;
};

class WithSourceWindow final : public ProcessWindowFunction<FrameTotals, SourceWindow, SourceKey, TimeWindow> {
 public:
  void process(const SourceKey& key, Context& ctx, std::span<const FrameTotals> totals,
               Collector<SourceWindow>& out) override {
    const size_t cut = key.find(kKeySeparator);
    for (const auto& t : totals)
      out.collect({key.substr(0, cut), key.substr(cut + 1), ctx.window().start, ctx.window().end, t});
  }
};

std::string aggregation_json(const SourceWindow& s) {
  JsonWriter w;
  w.begin_object()
      .field("source", s.source)
      .field("resolution_category", s.category)
      .field("window_start", format_iso8601(s.start))
      .field("window_end", format_iso8601(s.end))
      .field("frame_count", s.totals.count)
      .field("avg_brightness", round_to(s.totals.brightness_sum / double(s.totals.count), 2))
      .field("avg_size_bytes", round_to(double(s.totals.bytes_sum) / double(s.totals.count), 2))
      .end_object();
  return w.take();
}

struct Flags {
  KafkaJobFlags kafka;
  std::string input_topic = "video_frames";
  std::string processed_topic = "processed_video_frames";
  std::string aggregations_topic = "video_source_aggregations";
  std::string dlq = "video_frames-dlq";
  std::string window = "60s";
  std::string max_out_of_orderness = "5s";
  bool processing_time = false;
};

template <class Assigner>
void add_aggregations(const DataStream<AnalysedFrame>& frames, Assigner assigner, const Flags& f, bool event_time) {
  const OutputTag<AnalysedFrame> late("late-frames");
  auto windows = frames.key_by([](const AnalysedFrame& a) { return a.frame.source + kKeySeparator + a.resolution_category; })
      .window(assigner);
  if (event_time) windows = windows.side_output_late_data(late);
  auto aggregations = windows.aggregate(SumFrames{}, WithSourceWindow{})
      .name("per source and resolution per window")
      .uid("per-source-windows");
  aggregations.sink_to(f.kafka.sink<SourceWindow>(f.aggregations_topic)
                   .value_serializer(aggregation_json, [](const SourceWindow& s) { return s.source; })
                   .build())
      .name(f.aggregations_topic);
  if (event_time) {
    aggregations.side_output(late)
        .sink_to(f.kafka.sink<AnalysedFrame>(f.dlq)
                     .record_serializer([](const AnalysedFrame& a, const SinkContext&, ProducerRecord& out) {
                       out.key.emplace(a.frame.source);
                       out.value.emplace(processed_json(a));
                       out.add_header("error", "late: event time " + a.frame.timestamp +
                                                   " is behind the watermark; its window has fired");
                     })
                     .build())
        .name("late frames");
  }
}

void build(StreamEnvironment& env, const Flags& f) {
  const Duration window = parse_duration(f.window);
  if (window.count() <= 0) throw std::invalid_argument("--window must be longer than 0");
  const Duration bound = parse_duration(f.max_out_of_orderness);
  auto source = f.kafka.source<Frame>(f.input_topic, json_deserializer<Frame>(parse_frame))
                    .dead_letter_topic(f.dlq)
                    // Frames are large records: let one fetch carry several.
                    .property("fetch.max.bytes", "104857600")
                    .property("receive.message.max.bytes", "209715200")
                    .max_records_per_poll(100)
                    .build();
  auto strategy = f.processing_time
                      ? WatermarkStrategy<Frame>::no_watermarks()
                      : WatermarkStrategy<Frame>::for_bounded_out_of_orderness(bound)
                            .with_timestamp_assigner([](const Frame& fr, Timestamp) { return fr.event_time; })
                            .with_idleness(Duration(10000));
  auto analysed = env.from_source(source, strategy, f.input_topic)
                      .uid("source")
                      .filter([](const Frame& fr) { return fr.height > kMinHeightExclusive; })
                      .name("higher than 480p")
                      .map(analyse)
                      .name("frame analysis");
  analysed
      .sink_to(f.kafka.sink<AnalysedFrame>(f.processed_topic)
                   .value_serializer(processed_json, [](const AnalysedFrame& a) { return a.frame.source; })
                   .build())
      .name(f.processed_topic);
  if (f.processing_time) {
    add_aggregations(analysed, TumblingProcessingTimeWindows::of(window), f, false);
  } else {
    add_aggregations(analysed, TumblingEventTimeWindows::of(window), f, true);
  }
}

}  // namespace

JobSpec video_frames_job() {
  return JobSpec{
      "video-frames",
      "video frame analysis (seed 004): video_frames -> processed_video_frames, video_source_aggregations",
      [](CLI::App& app) -> PipelineBuilder {
        auto flags = std::make_shared<Flags>();
        flags->kafka.add_to(app, "video-frames");
        app.add_option("--input-topic", flags->input_topic)->capture_default_str();
        app.add_option("--processed-topic", flags->processed_topic,
                       "frames above 480p with brightness, aspect and compression ratio")
            ->capture_default_str();
        app.add_option("--aggregations-topic", flags->aggregations_topic,
                       "per source and resolution category per window")
            ->capture_default_str();
        app.add_option("--dlq", flags->dlq, "dead-letter topic for bad records")->capture_default_str();
        app.add_option("--window", flags->window, "tumbling window size (e.g. 60s, 5m)")->capture_default_str();
        app.add_option("--max-out-of-orderness", flags->max_out_of_orderness,
                       "event time: how far behind the newest timestamp a frame may arrive")
            ->capture_default_str();
        app.add_flag("--processing-time", flags->processing_time,
                     "windows by processing time (the seed's setting) instead of the frames' timestamp");
        return [flags](StreamEnvironment& env) {
          flags->kafka.configure(env);
          build(env, *flags);
        };
      }};
}

}  // namespace sluice::jobs
