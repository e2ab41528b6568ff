#include "stream/checkpoint/checkpoint_coordinator.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "stream/checkpoint/checkpoint_storage.h"

namespace sluice::checkpoint {

namespace {
constexpr size_t kHistory = 50;
}

const char* to_string(CheckpointStatus status) {
  switch (status) {
    case CheckpointStatus::in_progress: return "IN_PROGRESS";
    case CheckpointStatus::completed: return "COMPLETED";
    case CheckpointStatus::failed: return "FAILED";
  }
  return "?";
}

CheckpointCoordinator::CheckpointCoordinator(std::string job, runtime::CheckpointSettings settings,
                                             int max_parallelism, std::vector<OperatorInfo> operators,
                                             size_t tasks, std::vector<std::shared_ptr<CheckpointCommitter>> committers,
                                             Hooks hooks, CheckpointId next_id)
    : job_(std::move(job)),
      settings_(std::move(settings)),
      max_parallelism_(max_parallelism),
      operators_(std::move(operators)),
      tasks_(tasks),
      committers_(std::move(committers)),
      hooks_(std::move(hooks)),
      next_id_(next_id) {}

CheckpointCoordinator::~CheckpointCoordinator() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CheckpointCoordinator::start() {
  thread_ = std::thread([this] { run(); });
}

std::string CheckpointCoordinator::shutdown(bool finished) {
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_ && !thread_.joinable()) return {};
    shutting_down_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::unique_lock lock(mutex_);
    if (pending_) fail_pending(lock, finished ? "the job ended before the checkpoint completed" : "the job was cancelled or failed");
    for (auto& r : requests_)
      r.done.set_exception(std::make_exception_ptr(std::runtime_error("the job ended before the savepoint was taken")));
    requests_.clear();
  }
  std::string error;
  for (auto& c : committers_) {
    try {
      c->close(finished);
    } catch (const std::exception& e) {
      spdlog::error("job '{}': closing a checkpoint committer: {}", job_, e.what());
      if (finished && error.empty()) error = e.what();
    }
  }
  return error;
}

void CheckpointCoordinator::task_finished(const std::string& task, CheckpointId last_taken) {
  {
    std::lock_guard lock(mutex_);
    ++finished_tasks_;
    if (!pending_ || pending_->id <= last_taken || !pending_->declined.empty()) return;
    pending_->declined = "task " + task + " finished before its barrier came";
  }
  cv_.notify_all();
}

std::future<std::string> CheckpointCoordinator::savepoint(const std::string& dir, bool stop) {
  Request r;
  r.dir = dir;
  r.stop = stop;
  auto future = r.done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_ || stopped_) {
      r.done.set_exception(std::make_exception_ptr(std::runtime_error("the job is no longer running")));
      return future;
    }
    requests_.push_back(std::move(r));
  }
  cv_.notify_all();
  return future;
}

void CheckpointCoordinator::acknowledge(CheckpointId id, TaskAck ack) {
  {
    std::lock_guard lock(mutex_);
    if (!pending_ || pending_->id != id) return;  // abandoned meanwhile
    pending_->alignment_ns = std::max(pending_->alignment_ns, ack.alignment_ns);
    pending_->received.push_back(std::move(ack));
    ++pending_->acks;
  }
  cv_.notify_all();
}

void CheckpointCoordinator::decline(CheckpointId id, const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (!pending_ || pending_->id != id || !pending_->declined.empty()) return;
    pending_->declined = reason;
  }
  cv_.notify_all();
}

std::vector<CheckpointStats> CheckpointCoordinator::history() const {
  std::lock_guard lock(mutex_);
  return {history_.begin(), history_.end()};
}

std::optional<CheckpointStats> CheckpointCoordinator::latest_completed() const {
  std::lock_guard lock(mutex_);
  for (auto it = history_.rbegin(); it != history_.rend(); ++it)
    if (it->status == CheckpointStatus::completed) return *it;
  return std::nullopt;
}

CheckpointCoordinator::Counts CheckpointCoordinator::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

CheckpointStats& CheckpointCoordinator::stats_of(CheckpointId id) {
  for (auto& s : history_)
    if (s.id == id) return s;
  throw std::logic_error("no stats for checkpoint " + std::to_string(id));
}

void CheckpointCoordinator::run() {
  using clock = std::chrono::steady_clock;
  auto next_periodic = clock::now() + settings_.interval;
  std::unique_lock lock(mutex_);
  while (true) {
    if (pending_) {
      if (pending_->acks == tasks_ || (shutting_down_ && pending_->acks == tasks_)) {
        complete(lock);
        next_periodic = clock::now() + settings_.interval;
        continue;
      }
      if (!pending_->declined.empty()) {
        fail_pending(lock, "declined: " + pending_->declined);
        continue;
      }
      if (clock::now() - pending_->started >= settings_.timeout) {
        fail_pending(lock, fmt::format("timed out after {} ms with {} of {} tasks acknowledged",
                                       settings_.timeout.count(), pending_->acks, tasks_));
        continue;
      }
      if (shutting_down_) return;
      cv_.wait_until(lock, pending_->started + settings_.timeout);
      continue;
    }
    if (shutting_down_ || stopped_) {
      if (shutting_down_) return;
      cv_.wait(lock);
      continue;
    }
    if (!requests_.empty()) {
      if (!hooks_.all_tasks_running()) {
        Request r = std::move(requests_.front());
        requests_.pop_front();
        r.done.set_exception(std::make_exception_ptr(
            std::runtime_error("a savepoint needs every task running, and some have finished")));
        continue;
      }
      Request r = std::move(requests_.front());
      requests_.pop_front();
      trigger_locked(lock, true, r.dir, r.stop, std::move(r.done));
      continue;
    }
    if (settings_.interval.count() > 0 && clock::now() >= next_periodic) {
      next_periodic = clock::now() + settings_.interval;
      if (hooks_.all_tasks_running()) trigger_locked(lock, false, settings_.dir, false, std::nullopt);
      continue;
    }
    if (settings_.interval.count() > 0) cv_.wait_until(lock, next_periodic); else cv_.wait(lock);
  }
}

void CheckpointCoordinator::trigger_locked(std::unique_lock<std::mutex>& lock, bool savepoint, std::string dir,
                                           bool stop, std::optional<std::promise<std::string>> done) {
  Pending p;
  p.id = next_id_++;
  p.savepoint = savepoint;
  p.stop = stop;
  p.dir = std::move(dir);
  p.done = std::move(done);
  p.started = std::chrono::steady_clock::now();
  CheckpointStats stats;
  stats.id = p.id;
  stats.savepoint = savepoint;
  stats.trigger_ms = wall_clock_ms();
  history_.push_back(stats);
  if (history_.size() > kHistory) history_.pop_front();
  if (stop) stopped_ = true;
  CheckpointId id = p.id;
  pending_ = std::move(p);
  if (finished_tasks_ > 0) {  // one finished after all_tasks_running() said none had
    pending_->declined = "a task has finished";
    return;
  }
  lock.unlock();
  hooks_.trigger_sources(id, stop);
  lock.lock();
}

void CheckpointCoordinator::fail_pending(std::unique_lock<std::mutex>& lock, const std::string& reason) {
  Pending p = std::move(*pending_);
  pending_.reset();
  auto& stats = stats_of(p.id);
  stats.status = CheckpointStatus::failed;
  stats.failure = reason;
  ++counts_.failed;
  stats.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - p.started).count();
  if (p.stop) stopped_ = false;  // the job goes on: a later stop may try again
  spdlog::warn("job '{}': {} {} failed: {}", job_, p.savepoint ? "savepoint" : "checkpoint", p.id, reason);
  lock.unlock();
  for (auto& c : committers_) {
    try {
      c->abort(p.id);
    } catch (const std::exception& e) {
      spdlog::error("job '{}': aborting checkpoint {}: {}", job_, p.id, e.what());
    }
  }
  if (p.done) p.done->set_exception(std::make_exception_ptr(std::runtime_error(reason)));
  lock.lock();
}

void CheckpointCoordinator::complete(std::unique_lock<std::mutex>& lock) {
  Pending p = std::move(*pending_);
  pending_.reset();
  lock.unlock();

  CheckpointData data;
  data.id = p.id;
  data.savepoint = p.savepoint;
  data.job = job_;
  data.timestamp_ms = wall_clock_ms();
  data.max_parallelism = max_parallelism_;
  std::map<int, size_t> index_of_node;
  for (size_t node = 0; node < operators_.size(); ++node) {
    OperatorState op;
    op.uid = operators_[node].uid;
    op.name = operators_[node].name;
    op.parallelism = operators_[node].parallelism;
    op.subtasks.resize(op.parallelism);
    index_of_node[static_cast<int>(node)] = data.operators.size();
    data.operators.push_back(std::move(op));
  }
  for (auto& ack : p.received)
    for (auto& op : ack.operators)
      data.operators[index_of_node.at(op.node)].subtasks.at(op.subtask) = std::move(op.snapshot);
  std::erase_if(data.operators, [](const OperatorState& op) {
    return std::all_of(op.subtasks.begin(), op.subtasks.end(), [](auto& s) { return s.empty(); });
  });

  std::string error;
  WriteResult written;
  try {
    std::string name = p.savepoint ? fmt::format("savepoint-{}-{}", file_safe(job_), p.id) : fmt::format("chk-{}", p.id);
    written = write_checkpoint(p.dir, name, data);
  } catch (const std::exception& e) {
    error = fmt::format("cannot write it: {}", e.what());
  }
  if (!error.empty()) {
    lock.lock();
    pending_ = std::move(p);
    fail_pending(lock, error);
    return;
  }
  // Durable: the committers make its effects visible, then the tasks learn of it.
  for (auto& c : committers_) {
    try {
      c->commit(p.id);
    } catch (const std::exception& e) {
      std::string why = fmt::format("committing checkpoint {} failed: {}", p.id, e.what());
      spdlog::error("job '{}': {}", job_, why);
      hooks_.fail_job(why);
      lock.lock();
      auto& stats = stats_of(p.id);
      stats.status = CheckpointStatus::failed;
      stats.failure = why;
      ++counts_.failed;
      if (p.done) p.done->set_exception(std::make_exception_ptr(std::runtime_error(why)));
      return;
    }
  }
  hooks_.notify_complete(p.id);
  if (!p.savepoint) prune_checkpoints(p.dir, settings_.retained, p.id);
  int64_t duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - p.started).count();
  spdlog::info("job '{}': {} {} complete: {} bytes in {} ms ({})", job_, p.savepoint ? "savepoint" : "checkpoint",
               p.id, written.bytes, duration, written.path.string());
  lock.lock();
  auto& stats = stats_of(p.id);
  stats.status = CheckpointStatus::completed;
  ++counts_.completed;
  stats.bytes = written.bytes;
  stats.duration_ms = duration;
  stats.alignment_ms = p.alignment_ns / 1000000;
  stats.path = written.path.string();
  if (p.done) p.done->set_value(written.path.string());
}

}  // namespace sluice::checkpoint
