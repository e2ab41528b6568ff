// JobRun: one execution of a JobGraph. It decides the chains (a node joins its input's
// task when it has a single forward input of the same parallelism), makes every
// subtask's operators, wires chained outputs, channels and input gates, and runs one
// thread per subtask of each chain. Thread-safe: wait/cancel/stop/snapshot may be called
// from any thread. The first failing task cancels the whole job; wait() then throws
// JobFailure with the task's error.
//
// Checkpoints: a CheckpointCoordinator takes periodic checkpoints (JobConfig::checkpoints)
// and savepoints on request. On construction the run restores, if asked to or if the
// checkpoint directory holds checkpoints, the newest whole one (for jobs with exactly-once
// sinks: the newest whose output was committed); operators match state by uid (or name).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "stream/checkpoint/checkpoint_coordinator.h"
#include "stream/checkpoint/checkpoint_storage.h"
#include "stream/runtime/job_config.h"
#include "stream/runtime/job_graph.h"
#include "stream/runtime/latency_histogram.h"
#include "stream/runtime/task.h"

namespace sluice::runtime {

class JobFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class JobState { running, finished, failed, cancelled, restarting };
const char* to_string(JobState state);

// What the dashboard shows of a job: its operators with summed counters, and its edges.
struct JobSnapshot {
  struct Vertex {
    int id;
    std::string name;
    std::string kind;
    int parallelism;
    int chain;  // the task (chain) the operator runs in
    uint64_t records_in;
    uint64_t records_out;
    Timestamp watermark;  // the minimum over subtasks
    int64_t backpressure_ns;  // time the vertex's tasks spent blocked on full channels
    LatencyCounts end_to_end_latency{};  // sinks: see latency_histogram.h; summed over subtasks
  };
  struct Edge {
    int source;
    int target;
    std::string partitioning;
  };
  std::string name;
  JobState state;
  Timestamp started_ms;
  std::string failure;
  Timestamp failed_ms = 0;  // when the failure happened (0: none)
  std::vector<Vertex> vertices;
  std::vector<Edge> edges;
  std::vector<checkpoint::CheckpointStats> checkpoints;  // the last 50, oldest first
  uint64_t checkpoints_completed = 0;  // all of this run's, also those the history dropped
  uint64_t checkpoints_failed = 0;
  std::string restored_from;  // the checkpoint or savepoint the run started from, if any
  CheckpointId restored_id = 0;
  bool restored_savepoint = false;   // restored_from is a savepoint (else a checkpoint)
  Timestamp restored_written_ms = 0; // when restored_from was written
  int restarts = 0;  // attempts restarted after a failure (JobSupervisor)
};

class JobRun final : private TaskOwner {
 public:
  JobRun(std::string name, JobGraph graph, JobConfig config);
  ~JobRun();
  JobRun(const JobRun&) = delete;
  JobRun& operator=(const JobRun&) = delete;

  void start();
  // Blocks until every task ended. Throws JobFailure if a task failed.
  void wait();
  // Ends every task at once, without flushing (sinks lose what they buffered).
  void cancel();
  // Ends the sources as if their input ended: final watermark, every window fires,
  // sinks flush. wait() returns when the job has drained.
  void stop();
  JobState state() const;
  JobSnapshot snapshot() const;
  // Takes a savepoint into `dir` and returns its path (blocks); with stop_with_savepoint
  // the job then ends without draining (windows keep their state in the savepoint).
  // Throws std::runtime_error when it fails; the job goes on.
  std::string trigger_savepoint(const std::string& dir);
  std::string stop_with_savepoint(const std::string& dir);
  std::vector<checkpoint::CheckpointStats> checkpoints() const;
  // The checkpoint this run restored, or nullptr.
  std::shared_ptr<const checkpoint::LoadedCheckpoint> restored() const { return restored_; }
  const std::string& name() const { return name_; }

 private:
  bool cancelled() const override { return cancelled_.load(); }
  bool stop_requested() const override { return stop_.load(); }
  void task_failed(const std::string& task, const std::string& error) override;
  void acknowledge_checkpoint(CheckpointId id, checkpoint::TaskAck ack) override;
  void decline_checkpoint(CheckpointId id, const std::string& reason) override;
  void task_finished(const std::string& task, CheckpointId last_checkpoint) override;
  void build();
  void choose_restore();
  void assign_uids();
  void make_coordinator();
  std::string savepoint(const std::string& dir, bool stop);
  void close_channels();

  std::string name_;
  JobGraph graph_;
  JobConfig config_;
  Timestamp started_ms_ = 0;
  std::vector<int> parallelism_;  // per node
  std::vector<int> chain_of_;     // per node: the head node of its chain
  std::vector<std::vector<std::unique_ptr<OperatorMetrics>>> metrics_;  // [node][subtask]
  std::vector<std::vector<Task*>> tasks_of_node_;                        // [node][subtask]
  std::vector<std::unique_ptr<Task>> tasks_;
  std::vector<std::function<void()>> channel_closers_;
  std::vector<std::string> uid_;  // per node: its state's identity in checkpoints
  std::vector<std::shared_ptr<CheckpointCommitter>> committers_;
  std::shared_ptr<const checkpoint::LoadedCheckpoint> restored_;
  CheckpointId next_checkpoint_id_ = 1;
  std::unique_ptr<checkpoint::CheckpointCoordinator> coordinator_;
  std::atomic<bool> coordinator_closed_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};
  mutable std::mutex mutex_;
  std::string failure_;
  Timestamp failed_ms_ = 0;
  bool joined_ = false;
};

}  // namespace sluice::runtime
