// Two-input operators behind ConnectedStreams::process: CoProcessOperator (no key) and
// KeyedCoProcessOperator (both inputs keyed with one key type; shared state and timers).
// Input 0 calls process_element1, input 1 process_element2. Watermarks: the task gives the
// operator the minimum over the channels of both inputs.
#pragma once

#include <functional>
#include <memory>

#include "sluice/functions.h"
#include "stream/runtime/keyed_process_operator.h"
#include "stream/runtime/operator.h"

namespace sluice::runtime {

// Routes the records of one input of a two-input operator to a member call.
template <class In, class Op, void (Op::*Process)(In&&, Timestamp)>
class InputAdapter final : public RecordInput<In> {
 public:
  explicit InputAdapter(Op* op) : op_(op) {}
  void process_record(In&& value, Timestamp timestamp) override {
    (op_->*Process)(std::move(value), timestamp);
  }

 private:
  Op* op_;
};

template <class In1, class In2, class Out>
class CoProcessOperator final : public OperatorWithOutput<Out>,
                                private ProcessFunction<In1, Out>::Context {
 public:
  explicit CoProcessOperator(std::unique_ptr<CoProcessFunction<In1, In2, Out>> f)
      : f_(std::move(f)), out_(this) {}
  void* record_input(int index) override {
    return index == 0 ? static_cast<void*>(static_cast<RecordInput<In1>*>(&input1_))
                      : static_cast<void*>(static_cast<RecordInput<In2>*>(&input2_));
  }
  void open() override { f_->open(this->subtask()); }
  void close() override { f_->close(); }

  void process1(In1&& value, Timestamp timestamp) {
    bump(this->metrics().records_in);
    timestamp_ = out_.timestamp = timestamp;
    try {
      f_->process_element1(value, *this, out_);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }
  void process2(In2&& value, Timestamp timestamp) {
    bump(this->metrics().records_in);
    timestamp_ = out_.timestamp = timestamp;
    try {
      f_->process_element2(value, *this, out_);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }

 private:
  Timestamp timestamp() const override { return timestamp_; }
  Timestamp current_processing_time() const override { return this->processing_time(); }
  Timestamp current_watermark() const override { return StreamOperator::current_watermark(); }
  OutputBase* side_output(const std::string& id) override { return this->find_side_output(id); }

  std::unique_ptr<CoProcessFunction<In1, In2, Out>> f_;
  typename OperatorWithOutput<Out>::TimestampedCollector out_;
  InputAdapter<In1, CoProcessOperator, &CoProcessOperator::process1> input1_{this};
  InputAdapter<In2, CoProcessOperator, &CoProcessOperator::process2> input2_{this};
  Timestamp timestamp_ = kNoTimestamp;
};

template <class K, class In1, class In2, class Out>
class KeyedCoProcessOperator final
    : public KeyedOperatorBase<K, Out, typename KeyedCoProcessFunction<K, In1, In2, Out>::OnTimerContext> {
 public:
  KeyedCoProcessOperator(std::function<K(const In1&)> key1, std::function<K(const In2&)> key2,
                         std::unique_ptr<KeyedCoProcessFunction<K, In1, In2, Out>> f)
      : key1_(std::move(key1)), key2_(std::move(key2)), f_(std::move(f)) {}
  void* record_input(int index) override {
    return index == 0 ? static_cast<void*>(static_cast<RecordInput<In1>*>(&input1_))
                      : static_cast<void*>(static_cast<RecordInput<In2>*>(&input2_));
  }
  void open() override {
    Base::open();
    f_->bind_state(&this->keyed_state());
    f_->open(this->subtask());
  }
  void close() override {
    f_->close();
    Base::close();
  }

  void process1(In1&& value, Timestamp timestamp) {
    bump(this->metrics().records_in);
    try {
      K key = key1_(value);
      this->set_record_context(&key, timestamp);
      f_->process_element1(value, *this, this->collector_);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }
  void process2(In2&& value, Timestamp timestamp) {
    bump(this->metrics().records_in);
    try {
      K key = key2_(value);
      this->set_record_context(&key, timestamp);
      f_->process_element2(value, *this, this->collector_);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }

 private:
  using Base = KeyedOperatorBase<K, Out, typename KeyedCoProcessFunction<K, In1, In2, Out>::OnTimerContext>;
  void call_on_timer(Timestamp time) override { f_->on_timer(time, *this, this->collector_); }

  std::function<K(const In1&)> key1_;
  std::function<K(const In2&)> key2_;
  std::unique_ptr<KeyedCoProcessFunction<K, In1, In2, Out>> f_;
  InputAdapter<In1, KeyedCoProcessOperator, &KeyedCoProcessOperator::process1> input1_{this};
  InputAdapter<In2, KeyedCoProcessOperator, &KeyedCoProcessOperator::process2> input2_{this};
};

}  // namespace sluice::runtime
