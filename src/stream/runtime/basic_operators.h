// The stateless operators behind DataStream's map, filter, flat_map, process, union and
// sink_to. Each calls its user function once per record on the subtask's thread; a throw
// goes through fail_on() (route the record, or fail the job naming the operator).
#pragma once

#include <memory>
#include <utility>

#include "sluice/functions.h"
#include "sluice/sink.h"
#include "stream/runtime/operator.h"

namespace sluice::runtime {

template <class In, class Out, class F>
class MapOperator final : public OneInputOperator<In, Out> {
 public:
  explicit MapOperator(F f) : f_(std::move(f)) {}
  void process_record(In&& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    try {
      this->emit(Out(f_(value)), timestamp);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }

 private:
  F f_;
};

template <class T, class F>
class FilterOperator final : public OneInputOperator<T, T> {
 public:
  explicit FilterOperator(F f) : f_(std::move(f)) {}
  void process_record(T&& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    bool keep;
    try {
      keep = f_(value);
    } catch (...) {
      this->fail_on(value, timestamp);
      return;
    }
    if (keep) this->emit(std::move(value), timestamp);
  }

 private:
  F f_;
};

// F: void(const In&, Collector<Out>&).
template <class In, class Out, class F>
class FlatMapOperator final : public OneInputOperator<In, Out> {
 public:
  explicit FlatMapOperator(F f) : f_(std::move(f)), out_(this) {}
  void process_record(In&& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    out_.timestamp = timestamp;
    try {
      f_(value, out_);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }

 private:
  F f_;
  typename OperatorWithOutput<Out>::TimestampedCollector out_;
};

template <class In, class Out>
class ProcessOperator final : public OneInputOperator<In, Out>,
                              private ProcessFunction<In, Out>::Context {
 public:
  explicit ProcessOperator(std::unique_ptr<ProcessFunction<In, Out>> f)
      : f_(std::move(f)), out_(this) {}
  void open() override { f_->open(this->subtask()); }
  void close() override { f_->close(); }
  void process_record(In&& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    timestamp_ = out_.timestamp = timestamp;
    try {
      f_->process_element(value, *this, out_);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }

 private:
  Timestamp timestamp() const override { return timestamp_; }
  Timestamp current_processing_time() const override { return this->processing_time(); }
  Timestamp current_watermark() const override { return StreamOperator::current_watermark(); }
  OutputBase* side_output(const std::string& id) override { return this->find_side_output(id); }

  std::unique_ptr<ProcessFunction<In, Out>> f_;
  typename OperatorWithOutput<Out>::TimestampedCollector out_;
  Timestamp timestamp_ = kNoTimestamp;
};

// Union: records of every input, unchanged (its inputs all carry T).
template <class T>
class UnionOperator final : public OneInputOperator<T, T> {
 public:
  void process_record(T&& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    this->emit(std::move(value), timestamp);
  }
};

template <class T>
class SinkOperator final : public OneInputOperator<T, T> {
 public:
  explicit SinkOperator(std::unique_ptr<SinkWriter<T>> writer) : writer_(std::move(writer)) {}
  void open() override { writer_->open(); }
  void process_record(T&& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    if (timestamp != kNoTimestamp && this->clock())
      this->metrics().end_to_end_latency.record(this->processing_time() - timestamp);
    context_.timestamp = timestamp;
    context_.watermark = this->current_watermark();
    writer_->write(value, context_);
  }
  // A finished input (bounded, or a stop) is flushed; a cancel or failure only closes.
  void close() override { writer_->close(); }
  void notify_checkpoint_complete(CheckpointId id) override { writer_->notify_checkpoint_complete(id); }

 protected:
  void on_end_input() override { writer_->flush(); }
  void on_checkpoint_barrier(CheckpointId id) override { writer_->prepare_checkpoint(id); }

 private:
  std::unique_ptr<SinkWriter<T>> writer_;
  SinkContext context_;
};

}  // namespace sluice::runtime
