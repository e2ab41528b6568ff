#include "stream/runtime/job_supervisor.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "stream/checkpoint/checkpoint_storage.h"

namespace sluice::runtime {

JobSupervisor::JobSupervisor(std::string name, JobGraph graph, JobConfig config)
    : name_(std::move(name)), graph_(std::move(graph)), config_(std::move(config)) {}

JobSupervisor::~JobSupervisor() {
  if (thread_.joinable()) {
    cancel();
    thread_.join();
  }
}

void JobSupervisor::start() {
  auto run = std::make_shared<JobRun>(name_, graph_, config_);
  run->start();
  {
    std::lock_guard lock(mutex_);
    run_ = run;
  }
  thread_ = std::thread([this] { supervise(); });
}

std::optional<Duration> JobSupervisor::restart_delay(int n) const {
  const RestartStrategy& r = config_.restart;
  switch (r.kind) {
    case RestartStrategy::Kind::none:
      return std::nullopt;
    case RestartStrategy::Kind::fixed_delay:
      if (n > r.attempts) return std::nullopt;
      return r.delay;
    case RestartStrategy::Kind::exponential_backoff: {
      double ms = static_cast<double>(r.delay.count()) * std::pow(r.multiplier, n - 1);
      return Duration(static_cast<int64_t>(std::min(ms, static_cast<double>(r.max_delay.count()))));
    }
  }
  return std::nullopt;
}

void JobSupervisor::supervise() {
  while (true) {
    std::shared_ptr<JobRun> run = current();
    std::string error;
    try {
      run->wait();
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::unique_lock lock(mutex_);
    auto history = run->checkpoints();
    past_checkpoints_.insert(past_checkpoints_.end(), history.begin(), history.end());
    if (error.empty() || ended_by_user_) {
      failure_ = error;
      done_ = true;
      cv_.notify_all();
      return;
    }
    auto delay = restart_delay(restarts_ + 1);
    if (!delay) {
      failure_ = error;
      done_ = true;
      if (restarts_ > 0) spdlog::error("job '{}': no restart left after {} restarts", name_, restarts_);
      cv_.notify_all();
      return;
    }
    ++restarts_;
    restarting_ = true;
    spdlog::warn("job '{}': restart {} in {} ms after: {}", name_, restarts_, delay->count(), error);
    cv_.wait_for(lock, *delay, [this] { return ended_by_user_; });
    if (ended_by_user_) {
      failure_ = error;
      restarting_ = false;
      done_ = true;
      cv_.notify_all();
      return;
    }
    // The newest checkpoint wins; without one, the attempt starts where the first did.
    JobConfig config = config_;
    if (!config.checkpoints.dir.empty() && checkpoint::latest_valid_checkpoint(config.checkpoints.dir))
      config.checkpoints.restore_from.clear();
    lock.unlock();
    std::shared_ptr<JobRun> next;
    std::string build_error;
    try {
      next = std::make_shared<JobRun>(name_, graph_, config);
      next->start();
    } catch (const std::exception& e) {
      build_error = e.what();
    }
    lock.lock();
    restarting_ = false;
    if (!next || !build_error.empty()) {
      failure_ = "restarting failed: " + build_error;
      done_ = true;
      cv_.notify_all();
      return;
    }
    run_ = next;
    if (ended_by_user_) next->cancel();
  }
}

std::shared_ptr<JobRun> JobSupervisor::current() const {
  std::lock_guard lock(mutex_);
  return run_;
}

void JobSupervisor::wait() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return done_; });
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) {
    lock.unlock();
    thread_.join();
    lock.lock();
  }
  if (!failure_.empty()) throw JobFailure(failure_);
}

void JobSupervisor::cancel() {
  std::shared_ptr<JobRun> run;
  {
    std::lock_guard lock(mutex_);
    ended_by_user_ = true;
    run = run_;
  }
  cv_.notify_all();
  if (run) run->cancel();
}

void JobSupervisor::stop() {
  std::shared_ptr<JobRun> run;
  {
    std::lock_guard lock(mutex_);
    ended_by_user_ = true;
    run = run_;
  }
  cv_.notify_all();
  if (run) run->stop();
}

std::string JobSupervisor::trigger_savepoint(const std::string& dir) { return current()->trigger_savepoint(dir); }

std::string JobSupervisor::stop_with_savepoint(const std::string& dir) {
  auto run = current();
  std::string path = run->stop_with_savepoint(dir);
  {
    std::lock_guard lock(mutex_);
    ended_by_user_ = true;
  }
  cv_.notify_all();
  return path;
}

JobState JobSupervisor::state() const {
  std::lock_guard lock(mutex_);
  if (restarting_) return JobState::restarting;
  if (!done_ && run_->state() == JobState::failed) return JobState::restarting;
  return run_->state();
}

JobSnapshot JobSupervisor::snapshot() const {
  JobSnapshot snap = current()->snapshot();
  std::lock_guard lock(mutex_);
  if (restarting_ || (!done_ && snap.state == JobState::failed)) snap.state = JobState::restarting;
  snap.restarts = restarts_;
  std::vector<checkpoint::CheckpointStats> all = past_checkpoints_;
  all.insert(all.end(), snap.checkpoints.begin(), snap.checkpoints.end());
  snap.checkpoints = std::move(all);
  return snap;
}

std::vector<checkpoint::CheckpointStats> JobSupervisor::checkpoints() const {
  auto run = current();
  std::lock_guard lock(mutex_);
  std::vector<checkpoint::CheckpointStats> all = past_checkpoints_;
  auto now = run->checkpoints();
  all.insert(all.end(), now.begin(), now.end());
  return all;
}

int JobSupervisor::restarts() const {
  std::lock_guard lock(mutex_);
  return restarts_;
}

}  // namespace sluice::runtime
