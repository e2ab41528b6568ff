// LogFlusher: one thread, a queue of files (each with the completions waiting on it), fsync
// each in turn.
#include "log/log_flusher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sluice::log {

LogFlusher::LogFlusher(SyncFunction sync)
    : sync_(sync ? std::move(sync) : SyncFunction(sync_file)), thread_([this] { run(); }) {}

LogFlusher::~LogFlusher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  thread_.join();
}

void LogFlusher::sync(std::shared_ptr<FileHandle> file, Completion done) {
  if (!file) {
    if (done) done(Status::success());  // nothing to make durable
    return;
  }
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [&](const Pending& p) { return p.file == file; });
    if (it == queue_.end()) {
      queue_.push_back({std::move(file), {}});
      ++queued_;
      it = std::prev(queue_.end());
    }
    if (done) {
      it->done.push_back(std::move(done));
      ++waiting_;
    }
  }
  work_.notify_one();
}

void LogFlusher::drain() {
  std::unique_lock lock(mu_);
  const uint64_t target = queued_;
  done_.wait(lock, [&] { return synced_ >= target; });
}

uint64_t LogFlusher::synced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

size_t LogFlusher::waiting_completions() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

void LogFlusher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and nothing left
    Pending next = std::move(queue_.front());
    queue_.pop_front();
    waiting_ -= next.done.size();
    lock.unlock();
    Status s = sync_(*next.file);
    if (!s.ok() && next.done.empty()) spdlog::error("background flush failed: {}", s.message);
    for (auto& done : next.done) done(s);
    next.file.reset();
    lock.lock();
    ++synced_;
    done_.notify_all();
  }
}

}  // namespace sluice::log
