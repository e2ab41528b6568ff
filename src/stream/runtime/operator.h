// StreamOperator: one operator of a job in one parallel subtask, driven by its task's
// thread (Flink's StreamOperator). It receives records through its RecordInput<T>
// interfaces (record_input(i) for input i) and control events through process_control;
// it emits through the outputs the runtime wires to it. Watermarks: the base class keeps
// the current watermark, calls on_watermark() (fire timers, emit results), then forwards
// the watermark; end of input calls on_end_input() and forwards it (a suspend, when the
// job stops with a savepoint, is forwarded without on_end_input()). Checkpoints: the task
// calls snapshot_state() of each of its operators when a barrier is aligned, then passes
// the barrier down the chain; initialize_state() comes before open() on a restore.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <typeinfo>

#include "sluice/checkpoint.h"
#include "sluice/functions.h"
#include "sluice/subtask_info.h"
#include "stream/runtime/job_config.h"
#include "stream/runtime/latency_histogram.h"
#include "stream/runtime/output.h"
#include "stream/runtime/processing_clock.h"

namespace sluice::runtime {

// Counters of one operator subtask: written by its thread, read by the dashboard.
struct OperatorMetrics {
  std::atomic<uint64_t> records_in{0};
  std::atomic<uint64_t> records_out{0};
  std::atomic<int64_t> watermark{kMinTimestamp};
  LatencyHistogram end_to_end_latency;  // sinks only: see latency_histogram.h
};

// The id of the side output that carries FailedRecords when a stream routes failures.
inline const std::string kFailuresOutput = "__failures";

// A record as text for error messages: fmt-formattable types print themselves.
template <class T>
std::string describe_record(const T& value, size_t limit = 0) {
  std::string text;
  if constexpr (fmt::is_formattable<T>::value) {
    text = fmt::format("{}", value);
  } else {
    text = fmt::format("<a record of type {}>", typeid(T).name());
  }
  if (limit && text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

struct OperatorSetup {
  SubtaskInfo subtask;
  const ProcessingClock* clock = nullptr;
  OperatorMetrics* metrics = nullptr;
  bool route_failures = false;
  const JobConfig* job = nullptr;  // the job's settings (state backend); outlives the operator
};

class StreamOperator : public ControlInput {
 public:
  virtual ~StreamOperator() = default;

  void setup(const OperatorSetup& setup) { setup_ = setup; }
  virtual void open() {}
  virtual void close() {}

  // Type-erased RecordInput<In>* of input `index` (0 or 1); the graph guarantees In.
  virtual void* record_input(int index) = 0;

  void set_output(const std::string& stream, OutputBase* output) {
    if (stream.empty()) main_output_ = output; else side_outputs_[stream] = output;
  }

  void process_control(const Control& control) final {
    switch (control.kind) {
      case ControlKind::watermark:
        if (control.value <= watermark_) return;
        watermark_ = control.value;
        setup_.metrics->watermark.store(watermark_, std::memory_order_relaxed);
        on_watermark(watermark_);
        break;
      case ControlKind::end_of_input:
        if (!control.suspended()) on_end_input();
        break;
      case ControlKind::checkpoint_barrier:
        on_checkpoint_barrier(static_cast<CheckpointId>(control.value));
        break;
      default:
        break;
    }
    forward_control(control);
  }

  // Checkpoints, on the subtask's thread. snapshot_state adds this operator's state to
  // `out` (it may throw: the checkpoint is then declined, the job goes on);
  // initialize_state hands back what a previous run saved under the operator's uid, before
  // open(); notify_checkpoint_complete follows a checkpoint that is durable.
  virtual void snapshot_state(CheckpointId id, OperatorSnapshot& out) {}
  virtual void initialize_state(const OperatorRestore& state) {}
  virtual void notify_checkpoint_complete(CheckpointId id) {}

  // The earliest processing-time timer of this operator, or kMaxTimestamp.
  virtual Timestamp next_processing_timer() const { return kMaxTimestamp; }
  virtual void on_processing_time(Timestamp now) {}

  const std::string& name() const { return setup_.subtask.operator_name; }
  const SubtaskInfo& subtask() const { return setup_.subtask; }
  Timestamp current_watermark() const { return watermark_; }
  Timestamp processing_time() const { return setup_.clock->now(); }
  const ProcessingClock* clock() const { return setup_.clock; }
  // The job's state backend settings (heap when the operator runs outside a job).
  StateBackendSettings state_backend() const { return setup_.job ? setup_.job->state_backend : StateBackendSettings{}; }
  // The job's checkpoint directory, or empty.
  std::string checkpoint_dir() const { return setup_.job ? setup_.job->checkpoints.dir : std::string(); }
  OperatorMetrics& metrics() { return *setup_.metrics; }

 protected:
  virtual void on_watermark(Timestamp watermark) {}
  virtual void on_end_input() {}
  // The barrier passes (after the task took the snapshots): sinks make their writes
  // durable here, before the task acknowledges the checkpoint.
  virtual void on_checkpoint_barrier(CheckpointId id) {}

  OutputBase* find_side_output(const std::string& id) {
    auto it = side_outputs_.find(id);
    return it == side_outputs_.end() ? nullptr : it->second;  // nobody reads that output
  }
  OutputBase* main_output() const { return main_output_; }

  // A user function threw on `record`: route a FailedRecord, or fail the job.
  template <class In>
  void fail_on(const In& record, Timestamp timestamp) {
    std::string error;
    try {
      throw;
    } catch (const UserFunctionError&) {
      throw;  // from an operator further down the chain: it already names itself
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (setup_.route_failures) {
      auto* out = static_cast<Output<FailedRecord>*>(find_side_output(kFailuresOutput));
      if (out) {
        out->emit(FailedRecord{name(), describe_record(record), error, timestamp}, timestamp);
        return;
      }
    }
    throw UserFunctionError(name(), describe_record(record, 500), error);
  }

 private:
  void forward_control(const Control& control) {
    if (main_output_) main_output_->emit_control(control);
    for (auto& [id, out] : side_outputs_) out->emit_control(control);
  }

  OperatorSetup setup_;
  Timestamp watermark_ = kMinTimestamp;
  OutputBase* main_output_ = nullptr;
  std::map<std::string, OutputBase*> side_outputs_;
};

// An operator whose main output carries Out records.
template <class Out>
class OperatorWithOutput : public StreamOperator {
 protected:
  void emit(Out&& value, Timestamp timestamp) {
    bump(metrics().records_out);
    static_cast<Output<Out>*>(main_output())->emit(std::move(value), timestamp);
  }
  void emit(const Out& value, Timestamp timestamp) {
    bump(metrics().records_out);
    static_cast<Output<Out>*>(main_output())->emit_copy(value, timestamp);
  }

  // The Collector handed to user functions: stamps records with a set timestamp.
  class TimestampedCollector final : public Collector<Out> {
   public:
    explicit TimestampedCollector(OperatorWithOutput* op) : op_(op) {}
    void collect(Out&& value) override { op_->emit(std::move(value), timestamp); }
    void collect(const Out& value) override { op_->emit(value, timestamp); }
    Timestamp timestamp = kNoTimestamp;

   private:
    OperatorWithOutput* op_;
  };
};

template <class In, class Out>
class OneInputOperator : public OperatorWithOutput<Out>, public RecordInput<In> {
 public:
  void* record_input(int) override { return static_cast<RecordInput<In>*>(this); }
};

}  // namespace sluice::runtime
