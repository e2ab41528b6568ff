#include "nexmark/source.h"

#include <memory>

namespace sluice::nexmark {

GeneratorSource<Event> event_source(const Config& config, uint64_t count, double rate) {
  NexmarkGenerator check(config);  // a bad config fails here, not in the job
  auto source = GeneratorSource<Event>::from_factory(
      [config](const SubtaskInfo& subtask) -> GeneratorSource<Event>::Next {
        auto gen = std::make_shared<NexmarkGenerator>(config);
        const auto step = static_cast<uint64_t>(subtask.parallelism > 0 ? subtask.parallelism : 1);
        return [gen, n = static_cast<uint64_t>(subtask.index), step](Event& out, Timestamp& ts) mutable {
          gen->event(n, out);
          ts = out.date_time();
          n += step;
          return true;
        };
      },
      count);
  source.rate(rate);
  return source;
}

WatermarkStrategy<Event> event_watermarks() { return WatermarkStrategy<Event>::for_monotonous_timestamps(); }

}  // namespace sluice::nexmark
