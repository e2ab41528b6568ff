#include "stream/runtime/task.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

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
    owner_->task_failed(name_, e.what());
    if (opened) close_operators(true);
  }
  config_->clock->remove_listener(&wakeup_);
  finished_.store(true);
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

void Task::run_source() {
  while (!owner_->cancelled()) {
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
      recompute_watermark();
      if (std::all_of(channels_.begin(), channels_.end(), [](auto& c) { return c.ended; })) {
        inputs_ended_ = true;
        head()->process_control(Control::end_of_input());
      }
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
