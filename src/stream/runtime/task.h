// Task: one parallel subtask of a chain of operators, run by its own thread (Flink's
// StreamTask). A source task polls its SourceDriver; any other task polls its input
// gates, combines the channels' control events (the minimum watermark over channels
// that are neither idle nor finished; end of input when all are finished), fires
// processing-time timers, and flushes its network outputs before it waits and at least
// every buffer timeout. On failure it reports to its JobRun and ends; on cancel it ends
// without flushing.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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
};

class Task final : private ControlReceiver {
 public:
  Task(std::string name, TaskOwner* owner, const JobConfig* config);

  // Building (before start): operators in topological order, head first.
  void add_operator(std::unique_ptr<StreamOperator> op) { operators_.push_back(std::move(op)); }
  void set_source(SourceDriver* source) { source_ = source; }
  void add_gate(std::unique_ptr<InputGate> gate) { gates_.push_back(std::move(gate)); }
  size_t add_channels(size_t n) {
    size_t first = channels_.size();
    channels_.resize(first + n);
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

 private:
  struct ChannelStatus {
    Timestamp watermark = kMinTimestamp;
    bool idle = false;
    bool ended = false;
  };

  void run();
  void run_source();
  void run_inputs();
  void fire_processing_timers();
  void flush_outputs();
  void wait_for_work();
  void on_channel_control(size_t channel, const Control& control) override;
  void recompute_watermark();
  void close_operators(bool quietly);

  std::string name_;
  TaskOwner* owner_;
  const JobConfig* config_;
  std::vector<std::unique_ptr<StreamOperator>> operators_;
  SourceDriver* source_ = nullptr;
  std::vector<std::unique_ptr<InputGate>> gates_;
  std::vector<ChannelStatus> channels_;
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
