// Channel<T>: the bounded queue of batches from one producing subtask to one consuming
// subtask. One producer thread and one consumer thread. A full channel blocks the
// producer (back-pressure); close() wakes and releases everyone (cancel). Emptied record
// vectors go back to the producer through a spare list, so steady state allocates nothing.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "stream/runtime/stream_element.h"
#include "stream/runtime/task_wakeup.h"

namespace sluice::runtime {

// Thrown out of an operator's emit when the job is cancelled while it waits on a full
// channel; the task catches it and ends quietly.
struct Cancelled {};

class ChannelBase {
 public:
  virtual ~ChannelBase() = default;
  virtual void close() = 0;
  virtual size_t queued() const = 0;
  virtual size_t capacity() const = 0;
};

template <class T>
class Channel final : public ChannelBase {
 public:
  Channel(size_t capacity, TaskWakeup* consumer) : capacity_(capacity), consumer_(consumer) {}

  // Blocks while the channel is full; throws Cancelled once the channel is closed.
  // Returns the nanoseconds spent blocked (back-pressure).
  int64_t push(Batch<T>&& batch) {
    int64_t blocked_ns = 0;
    {
      std::unique_lock lock(mutex_);
      if (queue_.size() >= capacity_ && !closed_) {
        auto start = std::chrono::steady_clock::now();
        ++producers_waiting_;
        not_full_.wait(lock, [&] { return queue_.size() < capacity_ || closed_; });
        --producers_waiting_;
        blocked_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
      }
      if (closed_) throw Cancelled{};
      queue_.push_back(std::move(batch));
    }
    consumer_->notify();
    return blocked_ns;
  }

  bool try_pop(Batch<T>& out) {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return false;
    out = std::move(queue_.front());
    queue_.pop_front();
    if (producers_waiting_) not_full_.notify_one();
    return true;
  }

  // Gives an emptied record vector back for the producer's next batch.
  void recycle(std::vector<StreamRecord<T>>&& records) {
    records.clear();
    std::lock_guard lock(mutex_);
    if (spare_.size() < capacity_ + 1) spare_.push_back(std::move(records));
  }

  // A record vector for the next batch, with capacity from an earlier one when there is.
  std::vector<StreamRecord<T>> take_spare() {
    std::lock_guard lock(mutex_);
    if (spare_.empty()) return {};
    auto v = std::move(spare_.back());
    spare_.pop_back();
    return v;
  }

  void close() override {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    not_full_.notify_all();
    consumer_->notify();
  }

  size_t queued() const override {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  size_t capacity() const override { return capacity_; }

 private:
  const size_t capacity_;
  TaskWakeup* const consumer_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  std::deque<Batch<T>> queue_;
  std::vector<std::vector<StreamRecord<T>>> spare_;
  int producers_waiting_ = 0;
  bool closed_ = false;
};

}  // namespace sluice::runtime
