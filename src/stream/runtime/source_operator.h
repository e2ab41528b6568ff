// SourceOperator<T>: the head of a source task. The task polls it; it polls the user's
// SourceReader, stamps records with the WatermarkStrategy's timestamps, keeps one
// watermark per split, and emits the minimum over active splits (leaving out idle and
// finished ones), or an idle marker when it has no split or all its splits are idle.
#pragma once

#include <memory>
#include <vector>

#include "sluice/source.h"
#include "sluice/watermark_strategy.h"
#include "stream/runtime/operator.h"

namespace sluice::runtime {

class SourceDriver {
 public:
  virtual ~SourceDriver() = default;
  virtual SourceStatus poll() = 0;
  // Ends the stream: the final watermark (so every event-time window fires), then end of
  // input through the chain.
  virtual void finish() = 0;
  // Ends the stream for a stop with a savepoint: no final watermark, no end-of-input work.
  virtual void suspend() = 0;
};

template <class T>
class SourceOperator final : public OperatorWithOutput<T>, public SourceDriver, private SourceOutput<T> {
 public:
  SourceOperator(std::unique_ptr<SourceReader<T>> reader, WatermarkStrategy<T> strategy)
      : reader_(std::move(reader)), strategy_(std::move(strategy)) {}

  void* record_input(int) override { return nullptr; }
  void open() override { reader_->open(); }
  void close() override { reader_->close(); }

  SourceStatus poll() override {
    SourceStatus status = reader_->poll(*this);
    // At the end, finish() sends the final watermark. Not idle first: a consumer with
    // another input would see every input idle, then this one active with the final
    // watermark before its siblings' last records (which would then arrive late).
    if (status != SourceStatus::end_of_input) update_watermark();
    return status;
  }

  // Checkpoints: the reader's position, one blob per subtask ("reader" section).
  void snapshot_state(CheckpointId id, OperatorSnapshot& out) override {
    std::string state = reader_->snapshot_state(id);
    if (!state.empty()) out.operator_state["reader"] = std::move(state);
  }
  void initialize_state(const OperatorRestore& state) override {
    auto it = state.operator_state.find("reader");
    if (it != state.operator_state.end()) reader_->restore_state(it->second);
  }
  void notify_checkpoint_complete(CheckpointId id) override { reader_->notify_checkpoint_complete(id); }

  // Stop with a savepoint: the stream ends without the final watermark, and downstream
  // operators keep their state (windows do not fire): it lives on in the savepoint.
  void suspend() override { this->process_control(Control::suspend()); }

  void finish() override {
    // An idle source (no splits, or all quiet) becomes active again first:
    // consumers ignore watermarks from idle inputs, and the final one must get through.
    if (idle_) {
      idle_ = false;
      this->process_control(Control::active());
    }
    this->process_control(Control::watermark(kMaxTimestamp));
    this->process_control(Control::end_of_input());
  }

 private:
  struct Split {
    bool known = false;
    bool finished = false;
    Timestamp max_timestamp = kMinTimestamp;
    uint64_t records = 0;       // since the last poll
    Timestamp last_active = 0;  // processing time of the last poll that saw records
  };

  Split& split(int index) {
    if (index < 0) index = 0;
    if (static_cast<size_t>(index) >= splits_.size()) splits_.resize(index + 1);
    Split& s = splits_[index];
    if (!s.known) {
      s.known = true;
      s.last_active = this->processing_time();
    }
    return s;
  }

  void collect(T value, Timestamp timestamp, int split_index) override {
    const Timestamp ts = stamp(value, timestamp, split_index);
    this->emit(std::move(value), ts);
  }
  void collect_borrowed(const T& value, Timestamp timestamp, int split_index) override {
    const Timestamp ts = stamp(value, timestamp, split_index);
    this->emit(value, ts);
  }
  // The record's timestamp, counted in its split.
  Timestamp stamp(const T& value, Timestamp timestamp, int split_index) {
    bump(this->metrics().records_in);
    Timestamp ts = strategy_.timestamp_of(value, timestamp);
    Split& s = split(split_index);
    if (ts > s.max_timestamp) s.max_timestamp = ts;
    ++s.records;
    return ts;
  }
  void register_split(int index) override { split(index); }
  void finish_split(int index) override { split(index).finished = true; }

  void update_watermark() {
    Timestamp now = this->processing_time();
    auto idleness = strategy_.idleness();
    Timestamp min = kMaxTimestamp;
    bool any_active = false;
    bool any_known = false, any_unfinished = false;
    for (Split& s : splits_) {
      any_known |= s.known;
      if (!s.known || s.finished) continue;
      any_unfinished = true;
      if (s.records) {
        s.records = 0;
        s.last_active = now;
      } else if (idleness && now - s.last_active >= idleness->count()) {
        continue;  // idle: does not hold the watermark back
      }
      any_active = true;
      Timestamp w = strategy_.watermark_for(s.max_timestamp);
      if (w < min) min = w;
    }
    // Every split finished (the end is near, or new splits will come): hold the last
    // watermark rather than go idle, as Flink does; only a reader without splits, or
    // whose splits all went quiet past the idleness timeout, is idle.
    if (!any_active && any_known && !any_unfinished) return;
    if (!any_active) {
      if (!idle_) {
        idle_ = true;
        this->process_control(Control::idle());
      }
      return;
    }
    if (idle_) {
      idle_ = false;
      this->process_control(Control::active());
    }
    if (strategy_.generates_watermarks() && min != kMinTimestamp && min != kMaxTimestamp)
      this->process_control(Control::watermark(min));
  }

  std::unique_ptr<SourceReader<T>> reader_;
  WatermarkStrategy<T> strategy_;
  std::vector<Split> splits_;
  bool idle_ = false;
};

}  // namespace sluice::runtime
