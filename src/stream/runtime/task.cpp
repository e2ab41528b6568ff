#include "stream/runtime/task.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>

namespace sluice::runtime {

Task::Task(std::string name, TaskOwner* owner, const JobConfig* config)
    : name_(std::move(name)), owner_(owner), config_(config) {}

void Task::start() {
  thread_ = std::thread([this] { run(); });
}

void Task::join() {
  if (thread_.joinable()) thread_.join();
}

int64_t Task::blocked_ns() const {
  int64_t total = 0;
  for (auto* out : network_outputs_) total += out->blocked_ns();
  return total;
}

void Task::run() {
  std::string thread_name = name_.substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  config_->clock->add_listener(&wakeup_);
  bool opened = false;
  try {
    // Open tail first, so that an operator's consumers are ready before it emits.
    for (auto it = operators_.rbegin(); it != operators_.rend(); ++it) (*it)->open();
    opened = true;
    last_flush_ = std::chrono::steady_clock::now();
    if (source_) run_source(); else run_inputs();
    if (!owner_->cancelled()) {
      flush_outputs();
      close_operators(false);
    } else {
      close_operators(true);
    }
  } catch (const Cancelled&) {
    close_operators(true);
  } catch (const std::exception& e) {
    // Once the job is cancelled, errors are its consequences (e.g. a sink woken from a
    // wait for a commit), not causes.
    if (owner_->cancelled()) spdlog::debug("task {}: after the job was cancelled: {}", name_, e.what());
    else owner_->task_failed(name_, e.what());
    if (opened) close_operators(true);
  }
  config_->clock->remove_listener(&wakeup_);
  finished_.store(true);
  owner_->task_finished(name_, last_checkpoint_);
}

void Task::close_operators(bool quietly) {
  for (auto& op : operators_) {
    try {
      op->close();
    } catch (const std::exception& e) {
      if (!quietly) throw;
      spdlog::warn("task {}: closing operator '{}' after a failure: {}", name_, op->name(), e.what());
    }
  }
}

void Task::trigger_checkpoint(CheckpointId id, bool stop) {
  stop_after_trigger_.store(stop);
  triggered_.store(id);
  wakeup_.notify();
}

void Task::notify_checkpoint_complete(CheckpointId id) {
  CheckpointId seen = completed_.load();
  while (id > seen && !completed_.compare_exchange_weak(seen, id)) {
  }
  wakeup_.notify();
}

void Task::handle_notifications() {
  CheckpointId done = completed_.load(std::memory_order_relaxed);
  if (done <= notified_) return;
  notified_ = done;
  for (auto& op : operators_) op->notify_checkpoint_complete(done);
}

bool Task::handle_trigger() {
  CheckpointId id = triggered_.load(std::memory_order_relaxed);
  if (id <= last_checkpoint_) return false;
  bool stop = stop_after_trigger_.load();
  last_checkpoint_ = id;
  take_checkpoint(id, 0);
  if (stop) {
    flush_outputs();
    source_->suspend();
    return true;
  }
  return false;
}

void Task::take_checkpoint(CheckpointId id, int64_t alignment_ns) {
  checkpoint::TaskAck ack;
  ack.alignment_ns = alignment_ns;
  std::string declined;
  for (size_t i = 0; i < operators_.size(); ++i) {
    checkpoint::TaskAck::Operator entry{nodes_[i], operators_[i]->subtask().index, {}};
    try {
      operators_[i]->snapshot_state(id, entry.snapshot);
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      declined = fmt::format("operator '{}' ({}/{}) cannot snapshot its state: {}", operators_[i]->name(),
                             entry.subtask + 1, operators_[i]->subtask().parallelism, e.what());
      break;
    }
    ack.operators.push_back(std::move(entry));
  }
  // The barrier goes on even when the snapshot failed, so that no consumer waits for it.
  head()->process_control(Control::barrier(id));
  if (declined.empty()) owner_->acknowledge_checkpoint(id, std::move(ack));
  else owner_->decline_checkpoint(id, declined);
}

void Task::on_barrier(size_t channel, CheckpointId id) {
  if (id <= last_checkpoint_) return;  // an abandoned checkpoint's late barrier
  if (aligning_ && id > aligning_) {
    // A newer checkpoint started: the older one was abandoned by the coordinator.
    std::fill(blocked_.begin(), blocked_.end(), 0);
    aligning_ = 0;
  }
  if (!aligning_) {
    aligning_ = id;
    alignment_start_ = std::chrono::steady_clock::now();
  }
  blocked_[channel] = 1;
  finish_alignment_if_complete();
}

void Task::finish_alignment_if_complete() {
  if (!aligning_) return;
  for (size_t i = 0; i < channels_.size(); ++i)
    if (!blocked_[i] && !channels_[i].ended) return;
  CheckpointId id = aligning_;
  aligning_ = 0;
  last_checkpoint_ = id;
  std::fill(blocked_.begin(), blocked_.end(), 0);
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - alignment_start_).count();
  take_checkpoint(id, ns);
}

void Task::run_source() {
  while (!owner_->cancelled()) {
    handle_notifications();
    if (handle_trigger()) return;
    if (owner_->stop_requested()) {
      source_->finish();
      return;
    }
    SourceStatus status = source_->poll();
    fire_processing_timers();
    if (status == SourceStatus::end_of_input) {
      source_->finish();
      return;
    }
    auto now = std::chrono::steady_clock::now();
    if (status == SourceStatus::nothing_available || now - last_flush_ >= config_->buffer_timeout)
      flush_outputs();
  }
}

void Task::run_inputs() {
  while (!owner_->cancelled() && !inputs_ended_) {
    handle_notifications();
    size_t taken = 0;
    for (auto& gate : gates_) taken += gate->poll(*this);
    if (inputs_ended_) break;
    fire_processing_timers();
    if (taken == 0) {
      flush_outputs();
      wait_for_work();
    } else if (std::chrono::steady_clock::now() - last_flush_ >= config_->buffer_timeout) {
      flush_outputs();
    }
  }
}

void Task::fire_processing_timers() {
  Timestamp next = kMaxTimestamp;
  for (auto& op : operators_) next = std::min(next, op->next_processing_timer());
  if (next == kMaxTimestamp) return;
  Timestamp now = config_->clock->now();
  if (now < next) return;
  for (auto& op : operators_)
    if (op->next_processing_timer() <= now) op->on_processing_time(now);
}

void Task::flush_outputs() {
  for (auto* out : network_outputs_) out->flush();
  last_flush_ = std::chrono::steady_clock::now();
}

void Task::wait_for_work() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  if (!config_->clock->is_manual()) {
    Timestamp next = kMaxTimestamp;
    for (auto& op : operators_) next = std::min(next, op->next_processing_timer());
    if (next != kMaxTimestamp) {
      Timestamp wait_ms = std::max<Timestamp>(0, next - config_->clock->now());
      deadline = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms));
    }
  }
  wakeup_.wait_until(deadline);
}

void Task::on_channel_control(size_t channel, const Control& control) {
  ChannelStatus& status = channels_[channel];
  switch (control.kind) {
    case ControlKind::watermark:
      status.watermark = std::max(status.watermark, control.value);
      recompute_watermark();
      break;
    case ControlKind::idle:
      status.idle = true;
      recompute_watermark();
      break;
    case ControlKind::active:
      status.idle = false;
      if (idle_) {
        idle_ = false;
        head()->process_control(Control::active());
      }
      break;
    case ControlKind::end_of_input:
      status.ended = true;
      status.suspended = control.suspended();
      finish_alignment_if_complete();
      if (!control.suspended()) recompute_watermark();
      if (std::all_of(channels_.begin(), channels_.end(), [](auto& c) { return c.ended; })) {
        inputs_ended_ = true;
        bool suspended = std::any_of(channels_.begin(), channels_.end(), [](auto& c) { return c.suspended; });
        head()->process_control(suspended ? Control::suspend() : Control::end_of_input());
      }
      break;
    case ControlKind::checkpoint_barrier:
      on_barrier(channel, static_cast<CheckpointId>(control.value));
      break;
    case ControlKind::none:
      break;
  }
}

void Task::recompute_watermark() {
  Timestamp min = kMaxTimestamp;
  bool any_active = false;
  bool all_ended = true;
  for (auto& c : channels_) {
    if (c.ended) continue;
    all_ended = false;
    if (c.idle) continue;
    any_active = true;
    min = std::min(min, c.watermark);
  }
  if (all_ended) return;  // the end itself is handled by the caller
  if (!any_active) {
    if (!idle_) {
      idle_ = true;
      head()->process_control(Control::idle());
    }
    return;
  }
  if (idle_) {
    idle_ = false;
    head()->process_control(Control::active());
  }
  if (min > watermark_ && min != kMinTimestamp) {
    watermark_ = min;
    head()->process_control(Control::watermark(min));
  }
}

}  // namespace sluice::runtime
