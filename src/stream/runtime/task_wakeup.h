// TaskWakeup: how a task sleeps until one of its input channels has data, a processing-
// time timer is due, or the job is cancelled. Any thread may notify(); one thread waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace sluice::runtime {

class TaskWakeup {
 public:
  void notify() {
    {
      std::lock_guard lock(mutex_);
      signalled_ = true;
    }
    cv_.notify_one();
  }

  // Returns at once if notified since the last wait, else at `deadline` or a notify.
  void wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [&] { return signalled_; });
    signalled_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool signalled_ = false;
};

}  // namespace sluice::runtime
