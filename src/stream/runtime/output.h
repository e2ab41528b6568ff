// Output<T>: where an operator's records go. The runtime builds one per operator output
// stream: straight into the next operator of the same chain (ChainedOutput), into the
// channels of a network edge with a partitioning (PartitionedOutput), to several of those
// (FanOutOutput), or nowhere. Used by the owning subtask's thread only.
//
// Two ways to hand a record on: emit(T&&) gives it away; emit_copy(const T&) lends it (the
// caller keeps it). A chained output passes a lent record by reference to the next
// operator (RecordInput::process_borrowed), which copies it only if it keeps it; a network
// output copies it into its batch. So a record read by a chain of filters, maps and a sink
// is never copied, and one moved along the chain is never copied either.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "stream/runtime/channel.h"
#include "stream/runtime/stream_element.h"

namespace sluice::runtime {

// A counter written by one thread and read by others (metrics): no locked instruction.
inline void bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

class ControlInput {
 public:
  virtual ~ControlInput() = default;
  virtual void process_control(const Control& control) = 0;
};

// Copies `value`, or throws when T cannot be copied (a move-only record lent somewhere).
template <class T>
T copy_record(const T& value) {
  if constexpr (std::is_copy_constructible_v<T>) {
    return T(value);
  } else {
    throw std::logic_error("a record of a move-only type was lent where a copy is needed");
  }
}

template <class T>
class RecordInput {
 public:
  virtual ~RecordInput() = default;
  // The record is the operator's: it may move from it.
  virtual void process_record(T&& value, Timestamp timestamp) = 0;
  // The record stays the caller's, valid only during the call: an operator that only reads
  // it overrides this to skip the copy.
  virtual void process_borrowed(const T& value, Timestamp timestamp) {
    process_record(copy_record(value), timestamp);
  }
};

class OutputBase {
 public:
  virtual ~OutputBase() = default;
  virtual void emit_control(const Control& control) = 0;
  // Sends partly filled batches on (before the task waits, and on the buffer timeout).
  virtual void flush() {}
  // Nanoseconds this output spent blocked on full channels.
  virtual int64_t blocked_ns() const { return 0; }
};

template <class T>
class Output : public OutputBase {
 public:
  virtual void emit(T&& value, Timestamp timestamp) = 0;
  // `value` stays the caller's; copied only where it is kept.
  virtual void emit_copy(const T& value, Timestamp timestamp) { emit(copy_record(value), timestamp); }
};

template <class T>
class DiscardingOutput final : public Output<T> {
 public:
  void emit(T&&, Timestamp) override {}
  void emit_copy(const T&, Timestamp) override {}
  void emit_control(const Control&) override {}
};

template <class T>
class ChainedOutput final : public Output<T> {
 public:
  ChainedOutput(RecordInput<T>* records, ControlInput* controls)
      : records_(records), controls_(controls) {}
  void emit(T&& value, Timestamp timestamp) override {
    records_->process_record(std::move(value), timestamp);
  }
  void emit_copy(const T& value, Timestamp timestamp) override { records_->process_borrowed(value, timestamp); }
  void emit_control(const Control& control) override { controls_->process_control(control); }

 private:
  RecordInput<T>* records_;
  ControlInput* controls_;
};

template <class T>
class FanOutOutput final : public Output<T> {
 public:
  explicit FanOutOutput(std::vector<Output<T>*> targets) : targets_(std::move(targets)) {}
  void emit(T&& value, Timestamp timestamp) override {
    for (size_t i = 0; i + 1 < targets_.size(); ++i) targets_[i]->emit_copy(value, timestamp);
    targets_.back()->emit(std::move(value), timestamp);
  }
  void emit_copy(const T& value, Timestamp timestamp) override {
    for (auto* t : targets_) t->emit_copy(value, timestamp);
  }
  void emit_control(const Control& control) override {
    for (auto* t : targets_) t->emit_control(control);
  }
  void flush() override {
    for (auto* t : targets_) t->flush();
  }

 private:
  std::vector<Output<T>*> targets_;
};

enum class Partitioning { forward, rebalance, hash, broadcast };

// Buffers records per channel and pushes a batch when it holds batch_size records, on a
// control event (sent to every channel, after the records before it) and on flush().
template <class T>
class PartitionedOutput final : public Output<T> {
 public:
  // For hash partitioning: the channel (consumer subtask) of a record.
  using ChannelOf = std::function<size_t(const T&)>;

  PartitionedOutput(std::vector<std::shared_ptr<Channel<T>>> channels, Partitioning mode,
                    ChannelOf channel_of, size_t batch_size, size_t first_rebalance_target)
      : channels_(std::move(channels)),
        pending_(channels_.size()),
        mode_(mode),
        channel_of_(std::move(channel_of)),
        batch_size_(batch_size),
        next_(first_rebalance_target % channels_.size()) {}

  void emit(T&& value, Timestamp timestamp) override {
    switch (mode_) {
      case Partitioning::forward:
        append(0, std::move(value), timestamp);
        break;
      case Partitioning::rebalance: {
        size_t i = next_;
        next_ = next_ + 1 == channels_.size() ? 0 : next_ + 1;
        append(i, std::move(value), timestamp);
        break;
      }
      case Partitioning::hash:
        append(channel_of_(value), std::move(value), timestamp);
        break;
      case Partitioning::broadcast:
        for (size_t i = 0; i + 1 < channels_.size(); ++i) append(i, T(value), timestamp);
        append(channels_.size() - 1, std::move(value), timestamp);
        break;
    }
  }

  void emit_control(const Control& control) override {
    for (size_t i = 0; i < channels_.size(); ++i) {
      pending_[i].control = control;
      send(i);
    }
  }

  void flush() override {
    for (size_t i = 0; i < channels_.size(); ++i)
      if (!pending_[i].records.empty()) send(i);
  }

  int64_t blocked_ns() const override { return blocked_ns_.load(std::memory_order_relaxed); }

 private:
  void append(size_t i, T&& value, Timestamp timestamp) {
    auto& records = pending_[i].records;
    if (records.capacity() == 0) {
      records = channels_[i]->take_spare();
      records.reserve(batch_size_);
    }
    records.push_back(StreamRecord<T>{std::move(value), timestamp});
    if (records.size() >= batch_size_) send(i);
  }

  void send(size_t i) {
    int64_t blocked = channels_[i]->push(std::move(pending_[i]));
    if (blocked) blocked_ns_.store(blocked_ns_.load(std::memory_order_relaxed) + blocked,
                                   std::memory_order_relaxed);
    pending_[i] = Batch<T>{};
  }

  std::vector<std::shared_ptr<Channel<T>>> channels_;
  std::vector<Batch<T>> pending_;
  Partitioning mode_;
  ChannelOf channel_of_;
  size_t batch_size_;
  size_t next_;
  std::atomic<int64_t> blocked_ns_{0};
};

}  // namespace sluice::runtime
