// The stateless operators behind DataStream's map, filter, flat_map, process, union and
// sink_to. Each calls its user function once per record on the subtask's thread; a throw
// goes through fail_on() (route the record, or fail the job naming the operator). They
// only read their input, so a record lent to them (process_borrowed) is not copied: a
// filter or union lends it on, a sink writes it.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "sluice/functions.h"
#include "sluice/sink.h"
#include "stream/runtime/operator.h"

namespace sluice::runtime {

template <class In, class Out, class F>
class MapOperator final : public OneInputOperator<In, Out> {
 public:
  explicit MapOperator(F f) : f_(std::move(f)) {}
  void process_record(In&& value, Timestamp timestamp) override { process_borrowed(value, timestamp); }
  void process_borrowed(const In& value, Timestamp timestamp) override {
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
    if (keep(value, timestamp)) this->emit(std::move(value), timestamp);
  }
  void process_borrowed(const T& value, Timestamp timestamp) override {
    if constexpr (std::is_invocable_v<F&, const T&>) {
      if (keep(value, timestamp)) this->emit(value, timestamp);
    } else {  // f takes a T&: it gets a copy of its own
      process_record(copy_record(value), timestamp);
    }
  }

 private:
  template <class V>
  bool keep(V& value, Timestamp timestamp) {
    bump(this->metrics().records_in);
    try {
      return f_(value);
    } catch (...) {
      this->fail_on(value, timestamp);
      return false;
    }
  }

  F f_;
};

// F: void(const In&, Collector<Out>&).
template <class In, class Out, class F>
class FlatMapOperator final : public OneInputOperator<In, Out> {
 public:
  explicit FlatMapOperator(F f) : f_(std::move(f)), out_(this) {}
  void process_record(In&& value, Timestamp timestamp) override { process(value, timestamp); }
  void process_borrowed(const In& value, Timestamp timestamp) override {
    if constexpr (std::is_invocable_v<F&, const In&, Collector<Out>&>) {
      process(value, timestamp);
    } else {  // f takes an In&: it gets a copy of its own
      process_record(copy_record(value), timestamp);
    }
  }

 private:
  template <class V>
  void process(V& value, Timestamp timestamp) {
    bump(this->metrics().records_in);
    out_.timestamp = timestamp;
    try {
      f_(value, out_);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }

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
  void process_record(In&& value, Timestamp timestamp) override { process_borrowed(value, timestamp); }
  void process_borrowed(const In& value, Timestamp timestamp) override {
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
  void process_borrowed(const T& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    this->emit(value, timestamp);
  }
};

template <class T>
class SinkOperator final : public OneInputOperator<T, T> {
 public:
  explicit SinkOperator(std::unique_ptr<SinkWriter<T>> writer) : writer_(std::move(writer)) {}
  void open() override { writer_->open(); }
  void process_record(T&& value, Timestamp timestamp) override { process_borrowed(value, timestamp); }
  void process_borrowed(const T& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    if (timestamp != kNoTimestamp && this->clock() && latency_countdown_-- == 0) {
      latency_countdown_ = kLatencySampleEvery - 1;
      this->metrics().end_to_end_latency.record(this->processing_time() - timestamp);
    }
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
  uint32_t latency_countdown_ = 0;  // records with a timestamp until the next one measured
};

}  // namespace sluice::runtime
