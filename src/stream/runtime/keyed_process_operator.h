// KeyedProcessOperator: runs a KeyedProcessFunction on a keyed stream (Flink's
// KeyedProcessOperator). Before each record it extracts the record's key and makes it
// current for state and timers; event-time timers fire as watermarks pass them, processing-
// time timers when the task's clock reaches them, each with its key current again.
// Also the base of keyed two-input operators (KeyedCoProcessOperator).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sluice/functions.h"
#include "stream/runtime/operator.h"
#include "stream/runtime/state_backends.h"
#include "stream/runtime/timer_queue.h"
#include "stream/state/keyed_state_backend.h"

namespace sluice::runtime {

// Keyed state, both timer queues and the TimerService/Context a keyed function sees.
// OnTimerCtx is the function's OnTimerContext type (it derives from its Context).
template <class K, class Out, class OnTimerCtx>
class KeyedOperatorBase : public OperatorWithOutput<Out>, protected OnTimerCtx, protected TimerService {
 public:
  void open() override {
    state_ = make_keyed_state_backend<K>(this->state_backend(), this->checkpoint_dir(), this->clock(), this->subtask());
    if (restore_) {
      state_->restore(*restore_);
      restore_timers("timers/event", event_timers_);
      restore_timers("timers/processing", processing_timers_);
      restore_.reset();
    }
  }

  // Frees the keyed state (a RocksDB backend deletes its working directory); no snapshot
  // follows a close.
  void close() override { state_.reset(); }

  // Checkpoints: keyed state ("state/<name>", or the RocksDB backend's native checkpoint)
  // and both timer queues, by key group.
  void snapshot_state(CheckpointId id, OperatorSnapshot& out) override {
    state_->checkpoint(id, out);
    std::map<int, std::string> event, processing;
    event_timers_.snapshot(event, this->subtask().max_parallelism);
    processing_timers_.snapshot(processing, this->subtask().max_parallelism);
    if (!event.empty()) out.keyed["timers/event"] = std::move(event);
    if (!processing.empty()) out.keyed["timers/processing"] = std::move(processing);
  }
  void initialize_state(const OperatorRestore& state) override { restore_ = state; }

  Timestamp next_processing_timer() const override { return processing_timers_.next(); }

  void on_processing_time(Timestamp now) override {
    processing_timers_.fire_until(now, [&](Timestamp time, const K& key, const VoidNamespace&) {
      fire(time, key, TimeDomain::processing_time);
    });
  }

  state::KeyedStateBackend<K>& keyed_state() { return *state_; }

 protected:
  virtual void call_on_timer(Timestamp time) = 0;

  void on_watermark(Timestamp watermark) override {
    event_timers_.fire_until(watermark, [&](Timestamp time, const K& key, const VoidNamespace&) {
      fire(time, key, TimeDomain::event_time);
    });
  }

  void set_record_context(const K* key, Timestamp timestamp) {
    key_ = key;
    timestamp_ = collector_.timestamp = timestamp;
    state_->set_current_key(key);
  }

  typename OperatorWithOutput<Out>::TimestampedCollector collector_{this};

  // Context
  Timestamp timestamp() const override { return timestamp_; }
  TimerService& timer_service() override { return *this; }
  const K& current_key() const override { return *key_; }
  TimeDomain time_domain() const override { return domain_; }
  OutputBase* side_output(const std::string& id) override { return this->find_side_output(id); }

  // TimerService
  Timestamp current_processing_time() const override { return this->processing_time(); }
  Timestamp current_watermark() const override { return StreamOperator::current_watermark(); }
  void register_event_time_timer(Timestamp time) override { event_timers_.add(time, *key_); }
  void register_processing_time_timer(Timestamp time) override { processing_timers_.add(time, *key_); }
  void delete_event_time_timer(Timestamp time) override { event_timers_.remove(time, *key_); }
  void delete_processing_time_timer(Timestamp time) override { processing_timers_.remove(time, *key_); }

 private:
  void fire(Timestamp time, const K& key, TimeDomain domain) {
    domain_ = domain;
    // Event-time results carry the timer's time; processing-time ones the watermark's
    // view of "now" is meaningless, so they carry the timer time too (as Flink).
    set_record_context(&key, time);
    call_on_timer(time);
  }

  void restore_timers(const std::string& section, TimerQueue<K>& queue) {
    auto it = restore_->keyed.find(section);
    if (it == restore_->keyed.end()) return;
    for (auto& [group, bytes] : it->second) queue.restore(bytes);
  }

  std::optional<OperatorRestore> restore_;
  std::unique_ptr<state::KeyedStateBackend<K>> state_;
  TimerQueue<K> event_timers_;
  TimerQueue<K> processing_timers_;
  const K* key_ = nullptr;
  Timestamp timestamp_ = kNoTimestamp;
  TimeDomain domain_ = TimeDomain::event_time;
};

template <class K, class In, class Out>
class KeyedProcessOperator final
    : public KeyedOperatorBase<K, Out, typename KeyedProcessFunction<K, In, Out>::OnTimerContext>,
      public RecordInput<In> {
 public:
  using KeySelector = std::function<K(const In&)>;
  KeyedProcessOperator(KeySelector key_of, std::unique_ptr<KeyedProcessFunction<K, In, Out>> f)
      : key_of_(std::move(key_of)), f_(std::move(f)) {}

  void* record_input(int) override { return static_cast<RecordInput<In>*>(this); }

  void open() override {
    Base::open();
    f_->bind_state(&this->keyed_state());
    f_->open(this->subtask());
  }
  void close() override {
    f_->close();
    Base::close();
  }

  void process_record(In&& value, Timestamp timestamp) override { process_borrowed(value, timestamp); }
  void process_borrowed(const In& value, Timestamp timestamp) override {
    bump(this->metrics().records_in);
    try {
      K key = key_of_(value);
      this->set_record_context(&key, timestamp);
      f_->process_element(value, *this, this->collector_);
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }

 private:
  using Base = KeyedOperatorBase<K, Out, typename KeyedProcessFunction<K, In, Out>::OnTimerContext>;
  void call_on_timer(Timestamp time) override { f_->on_timer(time, *this, this->collector_); }

  KeySelector key_of_;
  std::unique_ptr<KeyedProcessFunction<K, In, Out>> f_;
};

}  // namespace sluice::runtime
