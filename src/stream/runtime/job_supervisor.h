// JobSupervisor: runs a job graph as a sequence of attempts (JobRuns) under a restart
// strategy (Flink's restart strategies with the JobMaster's failover). When an attempt
// fails and the strategy allows another, the supervisor waits the strategy's delay and
// starts a new attempt in the same process from the newest whole checkpoint in the
// checkpoint directory (or, if none was taken yet, from what the first attempt started
// from). cancel() and stop() end the job and every further restart. Thread-safe: any
// method from any thread; the current attempt is swapped under a lock.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stream/runtime/job_config.h"
#include "stream/runtime/job_graph.h"
#include "stream/runtime/job_run.h"

namespace sluice::runtime {

class JobSupervisor {
 public:
  JobSupervisor(std::string name, JobGraph graph, JobConfig config);
  ~JobSupervisor();
  JobSupervisor(const JobSupervisor&) = delete;
  JobSupervisor& operator=(const JobSupervisor&) = delete;

  // Builds and starts the first attempt: throws what building it throws (a bad graph, a
  // savepoint that does not match).
  void start();
  // Blocks until the job has ended for good; throws JobFailure when its last attempt
  // failed and no restart was left.
  void wait();
  void cancel();
  void stop();
  std::string trigger_savepoint(const std::string& dir);
  std::string stop_with_savepoint(const std::string& dir);

  JobState state() const;
  JobSnapshot snapshot() const;
  // Every attempt's checkpoints, oldest first.
  std::vector<checkpoint::CheckpointStats> checkpoints() const;
  int restarts() const;
  const std::string& name() const { return name_; }

 private:
  void supervise();
  std::shared_ptr<JobRun> current() const;
  // The delay before restart number `n` (1-based), or nullopt when no restart is left.
  std::optional<Duration> restart_delay(int n) const;

  std::string name_;
  JobGraph graph_;
  JobConfig config_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::shared_ptr<JobRun> run_;
  std::vector<checkpoint::CheckpointStats> past_checkpoints_;
  int restarts_ = 0;
  bool restarting_ = false;
  bool ended_by_user_ = false;
  bool done_ = false;
  std::string failure_;
  std::thread thread_;
};

}  // namespace sluice::runtime
