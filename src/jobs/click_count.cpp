// click-count (seed 000, JOBS.md): counts each user's events with a ValueState<int64>,
// as the seed's StatefulClickCounter does, and writes "User u1 clicked 3 times" keyed by
// the user. Records that are not JSON or have no userId go to the dead-letter topic.
#include <fmt/format.h>

#include "jobs/job_catalog.h"
#include "jobs/kafka_job_flags.h"
#include "sluice/json.h"
#include "sluice/kafka_sink.h"

namespace sluice::jobs {
namespace {

struct Click {
  std::string user_id;
  std::string action;
};

struct UserCount {
  std::string user_id;
  int64_t count;
};

class CountClicks final : public KeyedProcessFunction<std::string, Click, UserCount> {
 public:
  void open(const SubtaskInfo&) override { count_ = get_state(ValueStateDescriptor<int64_t>{"count"}); }
  void process_element(const Click&, Context& ctx, Collector<UserCount>& out) override {
    int64_t n = count_.value_or(0) + 1;
    count_.update(n);
    out.collect({ctx.current_key(), n});
  }

 private:
  ValueState<int64_t> count_;
};

Click parse_click(const JsonValue& json) {
  const JsonValue* user = json.find("userId");
  if (!user || !user->is_string() || user->as_string().empty())
    throw std::invalid_argument("no userId (a non-empty string) in the record");
  const JsonValue* action = json.find("action");
  return Click{user->as_string(), action && action->is_string() ? action->as_string() : ""};
}

struct Flags {
  KafkaJobFlags kafka;
  std::string input_topic = "input-topic";
  std::string output_topic = "output-topic";
  std::string dlq = "input-topic-dlq";
  std::string action;
};

void build(StreamEnvironment& env, const Flags& f) {
  auto source = f.kafka.source<Click>(f.input_topic, json_deserializer<Click>(parse_click))
                    .dead_letter_topic(f.dlq)
                    .build();
  auto sink = f.kafka.sink<UserCount>(f.output_topic)
                  .value_serializer([](const UserCount& c) { return fmt::format("User {} clicked {} times", c.user_id, c.count); },
                                    [](const UserCount& c) { return c.user_id; })
                  .build();
  std::string action = f.action;
  env.from_source(source, WatermarkStrategy<Click>::no_watermarks(), "clicks")
      .uid("source")
      .filter([action](const Click& c) { return action.empty() || c.action == action; })
      .name("action filter")
      .key_by([](const Click& c) { return c.user_id; })
      .process(CountClicks{})
      .name("count per user")
      .uid("count-per-user")
      .sink_to(sink)
      .name("counts");
}

}  // namespace

JobSpec click_count_job() {
  return JobSpec{"click-count", "count each user's clicks (seed 000): input-topic -> output-topic",
                 [](CLI::App& app) -> PipelineBuilder {
                   auto flags = std::make_shared<Flags>();
                   flags->kafka.add_to(app, "click-count");
                   app.add_option("--input-topic", flags->input_topic)->capture_default_str();
                   app.add_option("--output-topic", flags->output_topic)->capture_default_str();
                   app.add_option("--dlq", flags->dlq, "dead-letter topic for bad records")->capture_default_str();
                   app.add_option("--action", flags->action, "count only this action (e.g. CLICK); default: every event");
                   return [flags](StreamEnvironment& env) {
                     flags->kafka.configure(env);
                     build(env, *flags);
                   };
                 }};
}

}  // namespace sluice::jobs
