// CheckpointCoordinator: takes a job's checkpoints and savepoints (Flink's
// CheckpointCoordinator). Every interval (or on a savepoint request) it picks the next id,
// asks the runtime to inject a barrier into every source, and collects one acknowledgement
// per task with its operators' snapshots. When all are in, its own thread writes the
// checkpoint (checkpoint_storage.h), has the job's committers commit (exactly-once sinks),
// tells every task that the checkpoint is complete, and prunes old checkpoints. One
// checkpoint is in flight at a time; a declined or timed-out one is abandoned, logged and
// kept in the history, and the job goes on. Thread-safe: acknowledge/decline come from
// task threads, savepoint/history from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sluice/checkpoint.h"
#include "stream/runtime/job_config.h"

namespace sluice::checkpoint {

enum class CheckpointStatus { in_progress, completed, failed };
const char* to_string(CheckpointStatus status);

// One entry of the history the dashboard shows.
struct CheckpointStats {
  CheckpointId id = 0;
  bool savepoint = false;
  Timestamp trigger_ms = 0;
  int64_t duration_ms = 0;
  uint64_t bytes = 0;
  CheckpointStatus status = CheckpointStatus::in_progress;
  int64_t alignment_ms = 0;  // the longest barrier alignment of any task
  std::string path;
  std::string failure;
};

// What one task hands in: the snapshots of its operators (node id, subtask, snapshot).
struct TaskAck {
  struct Operator {
    int node;
    int subtask;
    OperatorSnapshot snapshot;
  };
  std::vector<Operator> operators;
  int64_t alignment_ns = 0;
};

class CheckpointCoordinator {
 public:
  struct OperatorInfo {
    std::string uid;
    std::string name;
    int parallelism = 1;
  };
  struct Hooks {
    std::function<bool()> all_tasks_running;
    std::function<void(CheckpointId id, bool stop)> trigger_sources;
    std::function<void(CheckpointId id)> notify_complete;
    std::function<void(const std::string& error)> fail_job;
  };

  CheckpointCoordinator(std::string job, runtime::CheckpointSettings settings, int max_parallelism,
                        std::vector<OperatorInfo> operators, size_t tasks,
                        std::vector<std::shared_ptr<CheckpointCommitter>> committers, Hooks hooks,
                        CheckpointId next_id);
  ~CheckpointCoordinator();

  void start();
  // Stops taking checkpoints. A checkpoint whose acknowledgements are all in is still
  // written (a stop with a savepoint ends the tasks first). Then the committers close:
  // `finished` when the job ended normally. Returns why a committer could not close a
  // finished job (its last output is not committed), or "".
  std::string shutdown(bool finished);
  // A task ended; `last_taken` is the last checkpoint it took part in. The pending
  // checkpoint, if it still waits for that task, is declined, and no checkpoint starts
  // any more (Flink's checkpoints stop when a task finishes, as here).
  void task_finished(const std::string& task, CheckpointId last_taken);

  // Takes a savepoint into `dir` (the job stops after it when `stop`); the future yields
  // its path, or throws why it failed.
  std::future<std::string> savepoint(const std::string& dir, bool stop);

  void acknowledge(CheckpointId id, TaskAck ack);
  void decline(CheckpointId id, const std::string& reason);

  // The last 50 checkpoints and savepoints, oldest first.
  std::vector<CheckpointStats> history() const;
  std::optional<CheckpointStats> latest_completed() const;
  // Every checkpoint and savepoint of this run that ended, also those the history dropped.
  struct Counts {
    uint64_t completed = 0;
    uint64_t failed = 0;
  };
  Counts counts() const;

 private:
  struct Request {
    std::string dir;
    bool stop = false;
    std::promise<std::string> done;
  };
  struct Pending {
    CheckpointId id = 0;
    bool savepoint = false;
    bool stop = false;
    std::string dir;
    std::optional<std::promise<std::string>> done;
    std::chrono::steady_clock::time_point started;
    size_t acks = 0;
    std::vector<TaskAck> received;
    int64_t alignment_ns = 0;
    std::string declined;
  };

  void run();
  void trigger_locked(std::unique_lock<std::mutex>& lock, bool savepoint, std::string dir, bool stop,
                      std::optional<std::promise<std::string>> done);
  void complete(std::unique_lock<std::mutex>& lock);
  void fail_pending(std::unique_lock<std::mutex>& lock, const std::string& reason);
  CheckpointStats& stats_of(CheckpointId id);

  std::string job_;
  runtime::CheckpointSettings settings_;
  int max_parallelism_;
  std::vector<OperatorInfo> operators_;
  size_t tasks_;
  std::vector<std::shared_ptr<CheckpointCommitter>> committers_;
  Hooks hooks_;
  CheckpointId next_id_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<Pending> pending_;
  std::deque<Request> requests_;
  std::deque<CheckpointStats> history_;
  Counts counts_;
  bool shutting_down_ = false;
  bool stopped_ = false;  // a stop-with-savepoint was triggered: no more checkpoints
  size_t finished_tasks_ = 0;
  std::thread thread_;
};

}  // namespace sluice::checkpoint
