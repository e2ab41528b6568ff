// JobConfig: the settings a job runs with (the StreamEnvironment's), a plain value.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "sluice/time.h"
#include "stream/runtime/processing_clock.h"

namespace sluice::runtime {

// Checkpointing (off unless an interval or a restore is set). A plain value.
struct CheckpointSettings {
  Duration interval{0};        // periodic checkpoints; 0: none (savepoints still work)
  std::string dir;             // where chk-<id> directories go; needed for an interval
  int retained = 3;            // whole checkpoints kept
  Duration timeout{60000};     // a checkpoint not complete by then is abandoned
  // A checkpoint or savepoint directory to start from; empty: the newest whole checkpoint
  // in `dir`, if any.
  std::string restore_from;
  bool allow_non_restored_state = false;  // state of operators the job no longer has
};

struct JobConfig {
  int parallelism = 1;
  int max_parallelism = 128;      // key groups
  size_t batch_size = 256;        // records per batch between subtasks
  size_t channel_capacity = 8;    // batches queued per channel before the producer blocks
  Duration buffer_timeout{1};     // a partly filled batch waits at most this long
  std::shared_ptr<ProcessingClock> clock = std::make_shared<WallClock>();
  CheckpointSettings checkpoints;
};

}  // namespace sluice::runtime
