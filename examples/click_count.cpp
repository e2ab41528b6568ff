// Seed 000's StatefulClickCounter on sluice: count each user's clicks from `input-topic`
// ({"userId":"u1","action":"CLICK"}) and write "User u1 clicked 3 times" to `output-topic`.
#include <fmt/format.h>
#include "sluice/json.h"
#include "sluice/kafka_sink.h"
#include "sluice/kafka_source.h"
#include "sluice/sluice.h"
using namespace sluice;

struct CountClicks : KeyedProcessFunction<std::string, JsonValue, std::string> {
  ValueState<int64_t> count;
  void open(const SubtaskInfo&) override { count = get_state(ValueStateDescriptor<int64_t>{"count"}); }
  void process_element(const JsonValue&, Context& ctx, Collector<std::string>& out) override {
    count.update(count.value_or(0) + 1);
    out.collect(fmt::format("User {} clicked {} times", ctx.current_key(), *count.value()));
  }
};

int main() {
  StreamEnvironment env;
  auto source = KafkaSource<JsonValue>::builder().topic("input-topic").group_id("click-counter")
                    .deserializer(json_deserializer()).build();
  env.from_source(source, WatermarkStrategy<JsonValue>::no_watermarks(), "clicks")
      .key_by([](const JsonValue& click) { return click["userId"].as_string(); })
      .process(CountClicks{})
      .sink_to(KafkaSink<std::string>::builder().topic("output-topic").build());
  env.execute("click counter");
}
