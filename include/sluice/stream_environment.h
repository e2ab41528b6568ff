// StreamEnvironment: where a job is built and run (Flink's StreamExecutionEnvironment).
// Sources start streams (from_source, from_collection); DataStream transformations add
// operators to the environment's job graph; execute() runs the graph until every source
// has ended (bounded) or the job is cancelled or stopped. Build a job from one thread;
// a running job is controlled through its JobClient, from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sluice/source.h"
#include "sluice/time.h"
#include "sluice/watermark_strategy.h"
#include "stream/runtime/job_config.h"
#include "stream/runtime/job_graph.h"
#include "stream/runtime/job_run.h"
#include "stream/runtime/job_supervisor.h"

namespace sluice {

template <class T>
class DataStream;

using checkpoint::CheckpointStats;
using checkpoint::CheckpointStatus;
using runtime::JobFailure;
using runtime::RestartStrategy;
using runtime::JobSnapshot;
using runtime::JobState;
using runtime::StateBackend;
using runtime::StateBackendSettings;

// A running (or ended) job. Copies share the job.
class JobClient {
 public:
  explicit JobClient(std::shared_ptr<runtime::JobSupervisor> run) : run_(std::move(run)) {}
  // Blocks until the job ends; throws JobFailure when a task failed.
  void wait() { run_->wait(); }
  // Ends the job at once: nothing buffered is flushed.
  void cancel() { run_->cancel(); }
  // Drains the job: sources end, every window fires, sinks flush. Returns at once.
  void stop() { run_->stop(); }
  JobState state() const { return run_->state(); }
  JobSnapshot snapshot() const { return run_->snapshot(); }
  // Writes a savepoint into `dir` and returns its path; blocks until it is durable.
  // Throws std::runtime_error when it fails (the job goes on).
  std::string trigger_savepoint(const std::string& dir) { return run_->trigger_savepoint(dir); }
  // A savepoint, then the job ends without draining: resume it with
  // StreamEnvironment::restore_from(path). wait() returns once it has ended.
  std::string stop_with_savepoint(const std::string& dir) { return run_->stop_with_savepoint(dir); }
  std::vector<CheckpointStats> checkpoints() const { return run_->checkpoints(); }
  // How often the job restarted after a failure (set_restart_strategy).
  int restarts() const { return run_->restarts(); }
  const std::string& name() const { return run_->name(); }

 private:
  std::shared_ptr<runtime::JobSupervisor> run_;
};

class StreamEnvironment {
 public:
  StreamEnvironment() = default;
  StreamEnvironment(const StreamEnvironment&) = delete;
  StreamEnvironment& operator=(const StreamEnvironment&) = delete;

  // Parallel subtasks of every operator that sets none of its own (default 1).
  StreamEnvironment& set_parallelism(int parallelism) { config_.parallelism = parallelism; return *this; }
  int parallelism() const { return config_.parallelism; }
  // Key groups: the largest parallelism keyed state can be rescaled to (default 128).
  StreamEnvironment& set_max_parallelism(int n) { config_.max_parallelism = n; return *this; }
  // Records per batch between subtasks, and how long a partly filled batch may wait.
  StreamEnvironment& set_buffer_size(size_t records) { config_.batch_size = records; return *this; }
  StreamEnvironment& set_buffer_timeout(Duration timeout) { config_.buffer_timeout = timeout; return *this; }
  // Batches a channel holds before its producer blocks (back-pressure).
  StreamEnvironment& set_channel_capacity(size_t batches) { config_.channel_capacity = batches; return *this; }
  // Periodic checkpoints every `interval` into `dir` (chk-<id> directories, the newest
  // `retained` kept). A job whose `dir` holds checkpoints resumes from the newest whole one.
  StreamEnvironment& enable_checkpointing(Duration interval, std::string dir, int retained = 3) {
    config_.checkpoints.interval = interval;
    config_.checkpoints.dir = std::move(dir);
    config_.checkpoints.retained = retained;
    return *this;
  }
  StreamEnvironment& set_checkpoint_timeout(Duration timeout) { config_.checkpoints.timeout = timeout; return *this; }
  // Where keyed state lives: StateBackend::heap (default) or StateBackend::rocksdb, for
  // state larger than memory, with RocksDB's working files under `dir` (empty: under the
  // checkpoint dir, else the temp dir). Checkpoints of either restore into the other.
  StreamEnvironment& set_state_backend(StateBackend kind, std::string dir = "") {
    config_.state_backend = {kind, std::move(dir)};
    return *this;
  }
  // The same, with every setting (runtime::StateBackendSettings: native RocksDB checkpoints).
  StreamEnvironment& set_state_backend(StateBackendSettings settings) {
    config_.state_backend = std::move(settings);
    return *this;
  }
  // Start from this savepoint (or checkpoint) directory. State is matched to operators by
  // uid (DataStream::uid, else the operator's name); state of an operator the job no
  // longer has is an error unless allowed.
  StreamEnvironment& restore_from(std::string path, bool allow_non_restored_state = false) {
    config_.checkpoints.restore_from = std::move(path);
    config_.checkpoints.allow_non_restored_state = allow_non_restored_state;
    return *this;
  }
  // What a task failure does: fail the job (default), or restart it from the newest
  // checkpoint (RestartStrategy::fixed_delay / exponential_backoff).
  StreamEnvironment& set_restart_strategy(runtime::RestartStrategy strategy) {
    config_.restart = strategy;
    return *this;
  }
  // The processing-time clock (tests pass a ManualClock).
  StreamEnvironment& set_clock(std::shared_ptr<ProcessingClock> clock) { config_.clock = std::move(clock); return *this; }

  // A stream read by `source` (any class deriving from Source<T>), one reader per subtask.
  template <class S>
  DataStream<typename S::value_type> from_source(S source,
                                                 WatermarkStrategy<typename S::value_type> strategy,
                                                 std::string name);
  // A bounded stream of the given values in order, from one subtask; records carry no
  // timestamp unless a strategy assigns them.
  template <class T>
  DataStream<T> from_collection(std::vector<T> values,
                                WatermarkStrategy<T> strategy = WatermarkStrategy<T>::no_watermarks());

  // Runs the job to its end. Throws JobFailure if it fails.
  void execute(const std::string& job_name = "sluice job") { execute_async(job_name).wait(); }
  // Starts the job on its own threads and returns at once.
  JobClient execute_async(const std::string& job_name = "sluice job") {
    auto run = std::make_shared<runtime::JobSupervisor>(job_name, graph_, config_);
    run->start();
    return JobClient(std::move(run));
  }

  runtime::JobGraph& graph() { return graph_; }
  const runtime::JobConfig& config() const { return config_; }

 private:
  runtime::JobGraph graph_;
  runtime::JobConfig config_;
};

}  // namespace sluice
