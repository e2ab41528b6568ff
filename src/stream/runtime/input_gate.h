// InputGate: a task's view of one input edge's channels (one per upstream subtask). The
// task polls its gates; a gate hands records to the head operator's RecordInput<T> (but
// takes nothing from a channel the task has blocked for a barrier alignment) and
// control events, tagged with the channel's index in the task, to the task's
// ChannelStatus, which combines them (minimum watermark, idleness, end of input).
#pragma once

#include <memory>
#include <vector>

#include "stream/runtime/channel.h"
#include "stream/runtime/output.h"

namespace sluice::runtime {

class ControlReceiver {
 public:
  virtual ~ControlReceiver() = default;
  virtual void on_channel_control(size_t channel, const Control& control) = 0;
  // Held back by a checkpoint barrier alignment: the gate leaves the channel alone.
  virtual bool channel_blocked(size_t channel) const = 0;
};

class InputGate {
 public:
  virtual ~InputGate() = default;
  // Takes at most one batch from each channel; returns how many batches it took.
  virtual size_t poll(ControlReceiver& receiver) = 0;
};

template <class T>
class TypedInputGate final : public InputGate {
 public:
  TypedInputGate(std::vector<std::shared_ptr<Channel<T>>> channels, RecordInput<T>* input,
                 size_t first_channel)
      : channels_(std::move(channels)), input_(input), first_channel_(first_channel) {}

  size_t poll(ControlReceiver& receiver) override {
    size_t taken = 0;
    for (size_t i = 0; i < channels_.size(); ++i) {
      if (receiver.channel_blocked(first_channel_ + i) || !channels_[i]->try_pop(batch_)) continue;
      ++taken;
      for (auto& record : batch_.records)
        input_->process_record(std::move(record.value), record.timestamp);
      channels_[i]->recycle(std::move(batch_.records));
      if (batch_.control.kind != ControlKind::none)
        receiver.on_channel_control(first_channel_ + i, batch_.control);
      batch_ = Batch<T>{};
    }
    return taken;
  }

 private:
  std::vector<std::shared_ptr<Channel<T>>> channels_;
  RecordInput<T>* input_;
  size_t first_channel_;
  Batch<T> batch_;
};

}  // namespace sluice::runtime
