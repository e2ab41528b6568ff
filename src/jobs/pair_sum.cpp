// pair-sum (seed 001, JOBS.md): reads integers as text from raw-topic and writes every pair
// that sums to --pairSum to enriched-topic as
//   {"a":5,"b":7,"sum":12,"aOffset":"0:15","bOffset":"2:40"}
// where a is the earlier number of the pair and the offsets are the input positions
// (partition:offset). Values that are not integers, or lie outside [0, pairSum], go to the
// DLQ with a header `error` saying why ("not an integer: ..." / "out of range: ...").
//
// Pairing: a valid n pairs with the oldest still-unpaired pairSum-n. Numbers are keyed by
// min(n, pairSum-n), so n and its complement meet in one keyed function, and each key keeps
// a FIFO of the numbers waiting for a partner (all of one value: two complements never wait
// together). Two copies of pairSum/2 pair with each other. Every number is paired at most
// once, and per key the number of pairs is min(count(n), count(pairSum-n)) (or
// floor(count/2) for pairSum/2): the most possible.
#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

#include "jobs/job_catalog.h"
#include "jobs/kafka_job_flags.h"
#include "sluice/json.h"
#include "sluice/kafka_sink.h"

namespace sluice::jobs {
namespace {

// A valid number and where it was read.
struct Number {
  int64_t value = 0;
  int32_t partition = 0;
  int64_t offset = 0;
};
static_assert(Serializable<Number>, "keyed state is checkpointed: Number must stay serializable");

struct Pair {
  Number a;  // the earlier one
  Number b;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s.size() > 60 ? s.substr(0, 60) : s);
  if (s.size() > 60) out.insert(out.size() - 1, "...");
  return out;
}

// The value of one raw record: a number in [0, pair_sum], or a bad record with the reason.
Deserialized<Number> parse_number(const KafkaRecordView& r, int64_t pair_sum) {
  if (!r.value) return Deserialized<Number>::bad("not an integer: null value (tombstone)");
  std::string_view text = trim(*r.value);
  size_t digits_from = !text.empty() && text.front() == '-' ? 1 : 0;
  bool all_digits = text.size() > digits_from;
  for (size_t i = digits_from; i < text.size() && all_digits; ++i) all_digits = text[i] >= '0' && text[i] <= '9';
  if (!all_digits) return Deserialized<Number>::bad("not an integer: " + quoted(*r.value));
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0 || n > pair_sum) {
    return Deserialized<Number>::bad(fmt::format("out of range: {} is not in [0, {}]", text, pair_sum));
  }
  return Deserialized<Number>::ok(Number{n, r.partition, r.offset});
}

// Per key min(n, pairSum-n): a FIFO of unpaired numbers in a MapState indexed by sequence
// numbers [head, tail), so taking the oldest and adding the newest cost O(1).
class PairNumbers final : public KeyedProcessFunction<int64_t, Number, Pair> {
 public:
  explicit PairNumbers(int64_t pair_sum) : pair_sum_(pair_sum) {}
  PairNumbers(const PairNumbers& other) : KeyedProcessFunction(), pair_sum_(other.pair_sum_) {}

  void open(const SubtaskInfo&) override {
    head_ = get_state(ValueStateDescriptor<int64_t>{"head"});
    tail_ = get_state(ValueStateDescriptor<int64_t>{"tail"});
    waiting_ = get_map_state(MapStateDescriptor<int64_t, Number>{"waiting"});
  }

  void process_element(const Number& n, Context&, Collector<Pair>& out) override {
    int64_t head = head_.value_or(0);
    int64_t tail = tail_.value_or(0);
    if (head < tail) {
      std::optional<Number> oldest = waiting_.get(head);
      if (!oldest) throw std::logic_error("pair-sum: the waiting queue lost its head");
      if (oldest->value + n.value == pair_sum_) {
        waiting_.remove(head);
        if (++head == tail) {
          head_.clear();
          tail_.clear();
        } else {
          head_.update(head);
        }
        out.collect(Pair{*oldest, n});
        return;
      }
    }
    waiting_.put(tail, n);
    tail_.update(tail + 1);
  }

 private:
  int64_t pair_sum_;
  ValueState<int64_t> head_;
  ValueState<int64_t> tail_;
  MapState<int64_t, Number> waiting_;
};

void write_pair(const Pair& p, int64_t pair_sum, JsonWriter& w) {
  w.begin_object()
      .field("a", p.a.value)
      .field("b", p.b.value)
      .field("sum", pair_sum)
      .field("aOffset", fmt::format("{}:{}", p.a.partition, p.a.offset))
      .field("bOffset", fmt::format("{}:{}", p.b.partition, p.b.offset))
      .end_object();
}

struct Flags {
  KafkaJobFlags kafka;
  int64_t pair_sum = 12;
  std::string raw_topic = "raw-topic";
  std::string enriched_topic = "enriched-topic";
  std::string dlq = "raw-events-dlq";
};

void build(StreamEnvironment& env, const Flags& f) {
  int64_t pair_sum = f.pair_sum;
  KafkaDeserializer<Number> deserializer = [pair_sum](const KafkaRecordView& r) { return parse_number(r, pair_sum); };
  auto source = f.kafka.source<Number>(f.raw_topic, deserializer).dead_letter_topic(f.dlq).build();
  auto sink = f.kafka.sink<Pair>(f.enriched_topic)
                  .record_serializer(json_serializer<Pair>(
                      [pair_sum](const Pair& p, JsonWriter& w) { write_pair(p, pair_sum, w); }))
                  .build();
  env.from_source(source, WatermarkStrategy<Number>::no_watermarks(), "numbers")
      .uid("source")
      .key_by([pair_sum](const Number& n) { return std::min(n.value, pair_sum - n.value); })
      .process(PairNumbers(pair_sum))
      .name("pair numbers")
      .uid("pair-numbers")
      .sink_to(sink)
      .name("pairs");
}

}  // namespace

JobSpec pair_sum_job() {
  return JobSpec{"pair-sum", "pair numbers that sum to --pairSum (seed 001): raw-topic -> enriched-topic, bad values -> DLQ",
                 [](CLI::App& app) -> PipelineBuilder {
                   auto flags = std::make_shared<Flags>();
                   flags->kafka.add_to(app, "pair-sum");
                   app.add_option("--pairSum,--pair-sum", flags->pair_sum, "the sum every pair adds up to")
                       ->check(CLI::Range(int64_t{0}, int64_t{1} << 62))
                       ->capture_default_str();
                   app.add_option("--rawTopic,--raw-topic,--input-topic", flags->raw_topic, "input: one integer per record")
                       ->capture_default_str();
                   app.add_option("--enrichedTopic,--enriched-topic,--output-topic", flags->enriched_topic,
                                  "output: one JSON object per pair")
                       ->capture_default_str();
                   app.add_option("--DLQ,--dlq", flags->dlq, "dead-letter topic for values that are not valid numbers")
                       ->capture_default_str();
                   return [flags](StreamEnvironment& env) {
                     flags->kafka.configure(env);
                     build(env, *flags);
                   };
                 }};
}

}  // namespace sluice::jobs
