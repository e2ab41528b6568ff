// JobConfig: the settings a job runs with (the StreamEnvironment's), a plain value.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

// Where keyed state lives (include/sluice/state.h): `heap` (hash maps in memory, the
// default) or `rocksdb` (an embedded RocksDB per operator subtask, for state larger than
// memory; src/stream/state/rocksdb_keyed_state.h). A plain value.
enum class StateBackend { heap, rocksdb };
struct StateBackendSettings {
  StateBackend kind = StateBackend::heap;
  // RocksDB's working files (scratch, deleted when the job ends): one directory per
  // operator subtask under this one. Empty: <checkpoint dir>/rocksdb-working when
  // checkpoints have a dir, else <temp dir>/sluice-rocksdb.
  std::string dir;
  // RocksDB: checkpoints hold RocksDB's own checkpoint of each subtask (hard-linked SST
  // files, docs/checkpoints.md) rather than the portable sections savepoints hold.
  bool native_checkpoints = true;
};

// "heap" or "rocksdb" (a command-line flag's value); nullopt for anything else.
inline std::optional<StateBackend> parse_state_backend(std::string_view name) {
  if (name == "heap" || name == "memory" || name == "hashmap") return StateBackend::heap;
  if (name == "rocksdb") return StateBackend::rocksdb;
  return std::nullopt;
}

// What happens when a task fails (Flink's restart strategies). none: the job fails.
// fixed_delay: up to `attempts` restarts, `delay` apart. exponential_backoff: the delay
// starts at `delay` and is multiplied by `multiplier` after every restart, up to
// `max_delay`, without a limit on attempts. Each restart restores the newest checkpoint.
struct RestartStrategy {
  enum class Kind { none, fixed_delay, exponential_backoff };
  Kind kind = Kind::none;
  int attempts = 3;
  Duration delay{1000};
  Duration max_delay{60000};
  double multiplier = 2.0;

  static RestartStrategy no_restart() { return {}; }
  static RestartStrategy fixed_delay(int attempts, Duration delay) {
    return {Kind::fixed_delay, attempts, delay, delay, 1.0};
  }
  static RestartStrategy exponential_backoff(Duration initial, Duration max, double multiplier = 2.0) {
    return {Kind::exponential_backoff, 0, initial, max, multiplier};
  }
};

struct JobConfig {
  int parallelism = 1;
  int max_parallelism = 128;      // key groups
  size_t batch_size = 256;        // records per batch between subtasks
  size_t channel_capacity = 8;    // batches queued per channel before the producer blocks
  Duration buffer_timeout{1};     // a partly filled batch waits at most this long
  std::shared_ptr<ProcessingClock> clock = std::make_shared<WallClock>();
  CheckpointSettings checkpoints;
  StateBackendSettings state_backend;
  RestartStrategy restart;
};

}  // namespace sluice::runtime
