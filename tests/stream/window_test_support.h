// Helpers of the window tests: a typed scripted source that emits one step per poll (so the
// watermark advances after every record, as with a real source emitting slowly), keyed
// events, a watermark strategy over their timestamps, and text forms of results.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "sluice/sluice.h"

namespace sluice::testing {

struct Event {
  std::string key;
  int64_t value = 0;
  Timestamp ts = 0;
};

inline WatermarkStrategy<Event> events_out_of_order(Duration bound) {
  return WatermarkStrategy<Event>::for_bounded_out_of_orderness(bound).with_timestamp_assigner(
      [](const Event& e, Timestamp) { return e.ts; });
}

// One step per poll: a record on a split, or a wait until the gate counter passes it.
template <class T>
struct Step {
  enum Kind { record, wait_gate } kind = record;
  T value{};
  Timestamp timestamp = kNoTimestamp;
  int split = 0;
};

template <class T>
Step<T> emit(T value, Timestamp ts = kNoTimestamp, int split = 0) {
  return Step<T>{Step<T>::record, std::move(value), ts, split};
}
template <class T>
Step<T> wait_gate() {
  return Step<T>{Step<T>::wait_gate, T{}, kNoTimestamp, 0};
}

template <class T>
class StepSource final : public Source<T> {
 public:
  StepSource(std::vector<Step<T>> steps, std::vector<int> splits = {0},
             std::shared_ptr<std::atomic<int>> gate = std::make_shared<std::atomic<int>>(0))
      : steps_(std::move(steps)), splits_(std::move(splits)), gate_(std::move(gate)) {}
  std::unique_ptr<SourceReader<T>> create_reader(const SubtaskInfo&) override {
    return std::make_unique<Reader>(steps_, splits_, gate_);
  }
  bool bounded() const override { return true; }

 private:
  class Reader final : public SourceReader<T> {
   public:
    Reader(std::vector<Step<T>> steps, std::vector<int> splits, std::shared_ptr<std::atomic<int>> gate)
        : steps_(std::move(steps)), splits_(std::move(splits)), gate_(std::move(gate)) {}
    SourceStatus poll(SourceOutput<T>& out) override {
      if (!registered_) {
        for (int s : splits_) out.register_split(s);
        registered_ = true;
      }
      if (next_ == steps_.size()) return SourceStatus::end_of_input;
      const Step<T>& step = steps_[next_];
      if (step.kind == Step<T>::wait_gate) {
        if (gate_->load() <= gates_passed_) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return SourceStatus::nothing_available;
        }
        ++gates_passed_;
      } else {
        out.collect(step.value, step.timestamp, step.split);
      }
      ++next_;
      return SourceStatus::more_available;
    }

   private:
    std::vector<Step<T>> steps_;
    std::vector<int> splits_;
    std::shared_ptr<std::atomic<int>> gate_;
    size_t next_ = 0;
    int gates_passed_ = 0;
    bool registered_ = false;
  };
  std::vector<Step<T>> steps_;
  std::vector<int> splits_;
  std::shared_ptr<std::atomic<int>> gate_;
};

// Events, one per poll, in the given order, with their own timestamps.
inline StepSource<Event> event_source(const std::vector<Event>& events) {
  std::vector<Step<Event>> steps;
  for (auto& e : events) steps.push_back(emit(e, e.ts));
  return StepSource<Event>(std::move(steps));
}

// A result as "key:window_start-window_end=value", what the tests compare.
struct WindowResult {
  std::string key;
  Timestamp start = 0;
  Timestamp end = 0;
  int64_t value = 0;
  std::string text() const { return fmt::format("{}:{}-{}={}", key, start, end, value); }
};

// Sums the values of each key's window, reporting key, window and sum.
class SumWindow final : public ProcessWindowFunction<Event, WindowResult, std::string, TimeWindow> {
 public:
  void process(const std::string& key, Context& ctx, std::span<const Event> elements,
               Collector<WindowResult>& out) override {
    int64_t sum = 0;
    for (auto& e : elements) sum += e.value;
    out.collect({key, ctx.window().start, ctx.window().end, sum});
  }
};

template <class T, class F>
std::vector<std::string> texts(const std::vector<T>& values, F text) {
  std::vector<std::string> out;
  for (auto& v : values) out.push_back(text(v));
  return out;
}

inline std::vector<std::string> texts(const std::vector<WindowResult>& values) {
  return texts(values, [](const WindowResult& r) { return r.text(); });
}

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The summed records_in of the job's window operators.
inline uint64_t window_records_in(const JobClient& job) {
  uint64_t n = 0;
  for (auto& v : job.snapshot().vertices)
    if (v.kind == "window") n += v.records_in;
  return n;
}

template <class F>
bool eventually_true(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace sluice::testing

template <>
struct fmt::formatter<sluice::testing::Event> : fmt::formatter<std::string> {
  auto format(const sluice::testing::Event& e, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{}/{}@{}", e.key, e.value, e.ts);
  }
};
