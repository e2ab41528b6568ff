// Sources for the engine's tests: an unbounded counting source (cancel, stop,
// back-pressure), a gated source whose position is checkpointed, and a scripted source whose splits emit given records and watermarks.
#pragma once

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::testing {

// Emits 0, 1, 2, ... as fast as it may until stopped; counts what it emitted.
class CountingSource final : public Source<int64_t> {
 public:
  explicit CountingSource(std::shared_ptr<std::atomic<int64_t>> emitted) : emitted_(std::move(emitted)) {}
  std::unique_ptr<SourceReader<int64_t>> create_reader(const SubtaskInfo&) override {
    return std::make_unique<Reader>(emitted_);
  }
  bool bounded() const override { return false; }

 private:
  class Reader final : public SourceReader<int64_t> {
   public:
    explicit Reader(std::shared_ptr<std::atomic<int64_t>> emitted) : emitted_(std::move(emitted)) {}
    SourceStatus poll(SourceOutput<int64_t>& out) override {
      for (int i = 0; i < 64; ++i) {
        out.collect(next_++, kNoTimestamp);
        emitted_->fetch_add(1);
      }
      return SourceStatus::more_available;
    }

   private:
    std::shared_ptr<std::atomic<int64_t>> emitted_;
    int64_t next_ = 0;
  };
  std::shared_ptr<std::atomic<int64_t>> emitted_;
};

// Each step of a script emits records on one split, or marks a split finished, or waits
// until a test-controlled gate opens. Single subtask.
struct ScriptStep {
  enum Kind { record, finish_split, wait_gate } kind = record;
  int split = 0;
  int64_t value = 0;
  Timestamp timestamp = kNoTimestamp;
};

class ScriptedSource final : public Source<int64_t> {
 public:
  ScriptedSource(std::vector<ScriptStep> script, std::vector<int> splits,
                 std::shared_ptr<std::atomic<int>> gate = std::make_shared<std::atomic<int>>(0))
      : script_(std::move(script)), splits_(std::move(splits)), gate_(std::move(gate)) {}
  std::unique_ptr<SourceReader<int64_t>> create_reader(const SubtaskInfo&) override {
    return std::make_unique<Reader>(script_, splits_, gate_);
  }
  bool bounded() const override { return true; }

 private:
  class Reader final : public SourceReader<int64_t> {
   public:
    Reader(std::vector<ScriptStep> script, std::vector<int> splits, std::shared_ptr<std::atomic<int>> gate)
        : script_(std::move(script)), splits_(std::move(splits)), gate_(std::move(gate)) {}
    SourceStatus poll(SourceOutput<int64_t>& out) override {
      if (!registered_) {
        for (int s : splits_) out.register_split(s);
        registered_ = true;
      }
      if (next_ == script_.size()) return SourceStatus::end_of_input;
      const ScriptStep& step = script_[next_];
      switch (step.kind) {
        case ScriptStep::record: out.collect(step.value, step.timestamp, step.split); break;
        case ScriptStep::finish_split: out.finish_split(step.split); break;
        case ScriptStep::wait_gate:
          if (gate_->load() <= gates_passed_) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return SourceStatus::nothing_available;
          }
          ++gates_passed_;
          break;
      }
      ++next_;
      return SourceStatus::more_available;
    }

   private:
    std::vector<ScriptStep> script_;
    std::vector<int> splits_;
    std::shared_ptr<std::atomic<int>> gate_;
    size_t next_ = 0;
    int gates_passed_ = 0;
    bool registered_ = false;
  };
  std::vector<ScriptStep> script_;
  std::vector<int> splits_;
  std::shared_ptr<std::atomic<int>> gate_;
};

inline ScriptStep rec(int split, int64_t value, Timestamp ts) { return {ScriptStep::record, split, value, ts}; }
inline ScriptStep finish(int split) { return {ScriptStep::finish_split, split, 0, 0}; }
inline ScriptStep gate() { return {ScriptStep::wait_gate, 0, 0, 0}; }

// Polls until `done` or about 10 s pass.
template <class F>
bool eventually(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// Emits 0 .. total-1 (timestamp = value), but never more than *limit so far; ends at total.
// Its position is checkpointed. One subtask.
class GatedSource final : public Source<int64_t> {
 public:
  GatedSource(int64_t total, std::shared_ptr<std::atomic<int64_t>> limit) : total_(total), limit_(std::move(limit)) {}
  std::unique_ptr<SourceReader<int64_t>> create_reader(const SubtaskInfo&) override {
    return std::make_unique<Reader>(total_, limit_);
  }
  bool bounded() const override { return true; }

 private:
  class Reader final : public SourceReader<int64_t> {
   public:
    Reader(int64_t total, std::shared_ptr<std::atomic<int64_t>> limit) : total_(total), limit_(std::move(limit)) {}
    SourceStatus poll(SourceOutput<int64_t>& out) override {
      if (next_ >= total_) return SourceStatus::end_of_input;
      int64_t until = std::min(total_, limit_->load());
      if (next_ >= until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return SourceStatus::nothing_available;
      }
      for (int n = 0; n < 100 && next_ < until; ++n, ++next_) out.collect(next_, next_);
      return SourceStatus::more_available;
    }
    std::string snapshot_state(CheckpointId) override { return std::to_string(next_); }
    void restore_state(const std::vector<std::string_view>& states) override {
      if (states.size() != 1) throw std::logic_error("GatedSource restores from one subtask");
      next_ = std::stoll(std::string(states[0]));
    }
    int64_t next() const { return next_; }

   private:
    int64_t total_;
    std::shared_ptr<std::atomic<int64_t>> limit_;
    int64_t next_ = 0;
  };
  int64_t total_;
  std::shared_ptr<std::atomic<int64_t>> limit_;
};

}  // namespace sluice::testing
