// Nexmark events in process: a GeneratorSource of nexmark::Event (generators/nexmark.h) and
// the watermark strategy the queries expect. Subtask s of p makes the events s, s+p, ...
// below `count`, so a job sees exactly the same events at any parallelism, each subtask's
// in event-time order; every record's timestamp is its event's date_time.
//
// Threads: as GeneratorSource (built on the job's thread, each reader on its subtask's).
#pragma once

#include <cstdint>

#include "generators/nexmark.h"
#include "sluice/generator_source.h"
#include "sluice/watermark_strategy.h"

namespace sluice::nexmark {

// count: events in total (0: unbounded). rate: events per wall-clock second over all
// subtasks (0: as fast as possible). Throws std::invalid_argument for a bad config.
GeneratorSource<Event> event_source(const Config& config, uint64_t count, double rate = 0);

// Event time is the record's timestamp; each split's timestamps only grow.
WatermarkStrategy<Event> event_watermarks();

}  // namespace sluice::nexmark
