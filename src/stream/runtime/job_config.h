// JobConfig: the settings a job runs with (the StreamEnvironment's), a plain value.
#pragma once

#include <cstddef>
#include <memory>

#include "sluice/time.h"
#include "stream/runtime/processing_clock.h"

namespace sluice::runtime {

struct JobConfig {
  int parallelism = 1;
  int max_parallelism = 128;      // key groups
  size_t batch_size = 256;        // records per batch between subtasks
  size_t channel_capacity = 8;    // batches queued per channel before the producer blocks
  Duration buffer_timeout{1};     // a partly filled batch waits at most this long
  std::shared_ptr<ProcessingClock> clock = std::make_shared<WallClock>();
};

}  // namespace sluice::runtime
