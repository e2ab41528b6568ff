// Task: one parallel subtask of a chain of operators, run by its own thread (Flink's
// StreamTask). A source task polls its SourceDriver; any other task polls its input
// gates, combines the channels' control events (the minimum watermark over channels
// that are neither idle nor finished; end of input when all are finished), fires
// processing-time timers, and flushes its network outputs before it waits and at least
// every buffer timeout. On failure it reports to its JobRun and ends; on cancel it ends
// without flushing.
//
// Checkpoints (aligned barriers): a source task injects a barrier between two polls when
// the coordinator triggers one. Any other task, on a barrier from one channel, stops
// reading that channel until every other channel that has not ended brings the same
// barrier; then it snapshots its operators, passes the barrier down its chain and out,
// and acknowledges with the snapshots. A newer barrier abandons an older alignment.
// Completion notices reach the operators on the task's own thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "stream/checkpoint/checkpoint_coordinator.h"
#include "stream/runtime/input_gate.h"
#include "stream/runtime/job_config.h"
#include "stream/runtime/operator.h"
#include "stream/runtime/source_operator.h"
#include "stream/runtime/task_wakeup.h"

namespace sluice::runtime {

class TaskOwner {
 public:
  virtual ~TaskOwner() = default;
  virtual bool cancelled() const = 0;
  virtual bool stop_requested() const = 0;
  virtual void task_failed(const std::string& task, const std::string& error) = 0;
  virtual void acknowledge_checkpoint(CheckpointId id, checkpoint::TaskAck ack) = 0;
  virtual void decline_checkpoint(CheckpointId id, const std::string& reason) = 0;
  // The task's thread is about to end; it took part in checkpoints up to `last_checkpoint`.
  virtual void task_finished(const std::string& task, CheckpointId last_checkpoint) = 0;
};

class Task final : private ControlReceiver {
 public:
  Task(std::string name, TaskOwner* owner, const JobConfig* config);

  // Building (before start): operators in topological order, head first, each with its
  // graph node id.
  void add_operator(std::unique_ptr<StreamOperator> op, int node) {
    operators_.push_back(std::move(op));
    nodes_.push_back(node);
  }
  void set_source(SourceDriver* source) { source_ = source; }
  void add_gate(std::unique_ptr<InputGate> gate) { gates_.push_back(std::move(gate)); }
  size_t add_channels(size_t n) {
    size_t first = channels_.size();
    channels_.resize(first + n);
    blocked_.resize(first + n, 0);
    return first;
  }
  void own_output(std::unique_ptr<OutputBase> out, bool network) {
    if (network) network_outputs_.push_back(out.get());
    outputs_.push_back(std::move(out));
  }
  TaskWakeup* wakeup() { return &wakeup_; }
  const std::string& name() const { return name_; }
  StreamOperator* head() { return operators_.front().get(); }
  int64_t blocked_ns() const;

  void start();
  void join();
  bool finished() const { return finished_.load(); }
  bool is_source() const { return source_ != nullptr; }

  // From the coordinator's thread. A source task injects barrier `id` at its next poll
  // (and then ends the stream when `stop`); every task hears of completed checkpoints.
  void trigger_checkpoint(CheckpointId id, bool stop);
  void notify_checkpoint_complete(CheckpointId id);
  // Before start(): the state of operator i (in add_operator order) on a restore.
  std::vector<std::unique_ptr<StreamOperator>>& operators() { return operators_; }

 private:
  struct ChannelStatus {
    Timestamp watermark = kMinTimestamp;
    bool idle = false;
    bool ended = false;
    bool suspended = false;  // ended by a stop with a savepoint
  };

  void run();
  void run_source();
  void run_inputs();
  void fire_processing_timers();
  void flush_outputs();
  void wait_for_work();
  void on_channel_control(size_t channel, const Control& control) override;
  bool channel_blocked(size_t channel) const override { return blocked_[channel]; }
  void on_barrier(size_t channel, CheckpointId id);
  void finish_alignment_if_complete();
  void take_checkpoint(CheckpointId id, int64_t alignment_ns);
  // Source tasks: a triggered barrier; returns true when the task must end (stop).
  bool handle_trigger();
  void handle_notifications();
  void recompute_watermark();
  void close_operators(bool quietly);

  std::string name_;
  TaskOwner* owner_;
  const JobConfig* config_;
  std::vector<std::unique_ptr<StreamOperator>> operators_;
  std::vector<int> nodes_;
  SourceDriver* source_ = nullptr;
  std::vector<std::unique_ptr<InputGate>> gates_;
  std::vector<ChannelStatus> channels_;
  std::vector<char> blocked_;  // per channel: held back by a barrier alignment
  CheckpointId aligning_ = 0;  // the checkpoint whose barriers are being aligned, or 0
  CheckpointId last_checkpoint_ = 0;
  std::chrono::steady_clock::time_point alignment_start_;
  std::atomic<CheckpointId> triggered_{0};
  std::atomic<bool> stop_after_trigger_{false};
  std::atomic<CheckpointId> completed_{0};
  CheckpointId notified_ = 0;
  std::vector<std::unique_ptr<OutputBase>> outputs_;
  std::vector<OutputBase*> network_outputs_;
  TaskWakeup wakeup_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  bool inputs_ended_ = false;
  bool idle_ = false;
  Timestamp watermark_ = kMinTimestamp;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace sluice::runtime
