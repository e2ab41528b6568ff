// The Nexmark queries as Kafka jobs (`sluice run nexmark-q0` ... `nexmark-q11`): events as
// JSON from the topic `sluice generate nexmark` writes, through the query of queries.h, to
// one output topic of JSON results. Records that are not events go to the dead-letter topic.
// Event time is the events' dateTime; each partition's times only grow, as the generator
// writes them, so the watermark trails the smallest partition's latest time by 0 ms.
#include "jobs/job_catalog.h"
#include "jobs/kafka_job_flags.h"
#include "nexmark/json_codec.h"
#include "nexmark/queries.h"
#include "sluice/kafka_sink.h"

namespace sluice::jobs {
namespace {

using nexmark::Event;

struct Flags {
  KafkaJobFlags kafka;
  std::string input_topic = "nexmark";
  std::string output_topic;
  std::string dlq = "nexmark-dlq";
};

template <class R>
JobSpec nexmark_job(std::string query, std::string what, DataStream<R> (*run)(const DataStream<Event>&)) {
  const std::string name = "nexmark-" + query;
  return JobSpec{
      name, "Nexmark " + query + ": " + what + " (docs/jobs/nexmark.md): nexmark -> " + name,
      [name, run](CLI::App& app) -> PipelineBuilder {
        auto flags = std::make_shared<Flags>();
        flags->output_topic = name;
        flags->kafka.add_to(app, name);
        app.add_option("--input-topic", flags->input_topic, "Nexmark events as JSON (sluice generate nexmark)")
            ->capture_default_str();
        app.add_option("--output-topic", flags->output_topic, "the query's results as JSON")->capture_default_str();
        app.add_option("--dlq", flags->dlq, "dead-letter topic for records that are not events")->capture_default_str();
        return [flags, name, run](StreamEnvironment& env) {
          const Flags& f = *flags;
          f.kafka.configure(env);
          auto source = f.kafka
                            .source<Event>(f.input_topic, json_ondemand_deserializer<Event>(
                                                              [](simdjson::ondemand::document& doc) {
                                                                return nexmark::parse_event(doc);
                                                              }))
                            .dead_letter_topic(f.dlq)
                            .build();
          auto strategy = WatermarkStrategy<Event>::for_monotonous_timestamps().with_timestamp_assigner(
              [](const Event& e, Timestamp) { return e.date_time(); });
          auto sink = f.kafka.sink<R>(f.output_topic)
                          .record_serializer(json_serializer<R>([](const R& r, JsonWriter& w) { nexmark::write_json(r, w); }))
                          .build();
          run(env.from_source(source, strategy, "nexmark events").uid("source")).sink_to(sink).name(f.output_topic);
        };
      }};
}

}  // namespace

std::vector<JobSpec> nexmark_jobs() {
  return {
      nexmark_job<nexmark::Bid>("q0", "every bid, as it is", nexmark::q0),
      nexmark_job<nexmark::Q1Bid>("q1", "bids with prices in euros", nexmark::q1),
      nexmark_job<nexmark::Q2Bid>("q2", "bids on auctions whose id % 123 == 0", nexmark::q2),
      nexmark_job<nexmark::Q3Seller>("q3", "western sellers of category-10 auctions", nexmark::q3),
      nexmark_job<nexmark::Q4Average>("q4", "average closing price per category", nexmark::q4),
      nexmark_job<nexmark::Q5HotItem>("q5", "auctions with the most bids, 10 s windows sliding by 2 s", nexmark::q5),
      nexmark_job<nexmark::Bid>("q7", "highest bids per 10 s window", nexmark::q7),
      nexmark_job<nexmark::Q8NewSeller>("q8", "new persons who opened an auction in the same 10 s window", nexmark::q8),
      nexmark_job<nexmark::Q11Session>("q11", "bids per bidder session (10 s gap)", nexmark::q11),
  };
}

}  // namespace sluice::jobs
