// LogFlusher: one thread, a queue of files, fsync each.
#include "log/log_flusher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sluice::log {

LogFlusher::LogFlusher() : thread_([this] { run(); }) {}

LogFlusher::~LogFlusher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  thread_.join();
}

void LogFlusher::sync(std::shared_ptr<FileHandle> file) {
  if (!file) return;
  {
    std::lock_guard lock(mu_);
    if (std::find(queue_.begin(), queue_.end(), file) != queue_.end()) return;
    queue_.push_back(std::move(file));
    ++queued_;
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

void LogFlusher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and nothing left
    auto file = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Status s = sync_file(*file);
    if (!s.ok()) spdlog::error("background flush failed: {}", s.message);
    file.reset();
    lock.lock();
    ++synced_;
    done_.notify_all();
  }
}

}  // namespace sluice::log
