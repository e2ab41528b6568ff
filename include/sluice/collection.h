// Collections as sources and sinks, for tests and small programs.
// CollectionSource<T>: a bounded source of given values (with optional timestamps); with
// parallelism p, subtask i emits the values at positions i, i+p, ... in order. Its
// position is checkpointed; it resumes only at the parallelism it was checkpointed with.
// CollectSink<T>: gathers what reaches it into a shared, thread-safe Collected<T>.
#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/data_stream.h"
#include "sluice/serializer.h"
#include "sluice/sink.h"
#include "sluice/source.h"

namespace sluice {

template <class T>
class CollectionSource final : public Source<T> {
 public:
  explicit CollectionSource(std::vector<T> values)
      : values_(std::make_shared<std::vector<std::pair<T, Timestamp>>>()) {
    for (auto& v : values) values_->emplace_back(std::move(v), kNoTimestamp);
  }
  explicit CollectionSource(std::vector<std::pair<T, Timestamp>> timestamped)
      : values_(std::make_shared<std::vector<std::pair<T, Timestamp>>>(std::move(timestamped))) {}

  std::unique_ptr<SourceReader<T>> create_reader(const SubtaskInfo& subtask) override {
    return std::make_unique<Reader>(values_, subtask.index, subtask.parallelism);
  }
  bool bounded() const override { return true; }

 private:
  class Reader final : public SourceReader<T> {
   public:
    Reader(std::shared_ptr<const std::vector<std::pair<T, Timestamp>>> values, int index, int parallelism)
        : values_(std::move(values)), next_(index), step_(parallelism) {}
    SourceStatus poll(SourceOutput<T>& out) override {
      for (int n = 0; n < 512 && next_ < values_->size(); ++n, next_ += step_)
        out.collect((*values_)[next_].first, (*values_)[next_].second);
      return next_ < values_->size() ? SourceStatus::more_available : SourceStatus::end_of_input;
    }
    std::string snapshot_state(CheckpointId) override {
      std::string out;
      StateWriter w(out);
      w.varint(next_);
      w.varint(step_);
      return out;
    }
    void restore_state(const std::vector<std::string_view>& states) override {
      for (std::string_view blob : states) {
        StateReader r(blob);
        size_t next = r.varint(), step = r.varint();
        if (step != step_)
          throw std::invalid_argument("a collection source resumes only at the parallelism it was checkpointed with");
        if (next % step_ == next_ % step_) next_ = next;  // this subtask's own position
      }
    }

   private:
    std::shared_ptr<const std::vector<std::pair<T, Timestamp>>> values_;
    size_t next_;
    size_t step_;
  };

  std::shared_ptr<std::vector<std::pair<T, Timestamp>>> values_;
};

template <class T>
class Collected {
 public:
  void add(const T& value, Timestamp timestamp) {
    std::lock_guard lock(mutex_);
    values_.push_back(value);
    timestamps_.push_back(timestamp);
  }
  std::vector<T> values() const {
    std::lock_guard lock(mutex_);
    return values_;
  }
  std::vector<Timestamp> timestamps() const {
    std::lock_guard lock(mutex_);
    return timestamps_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return values_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<T> values_;
  std::vector<Timestamp> timestamps_;
};

template <class T>
class CollectSink final : public Sink<T> {
 public:
  explicit CollectSink(std::shared_ptr<Collected<T>> into) : into_(std::move(into)) {}
  std::unique_ptr<SinkWriter<T>> create_writer(const SubtaskInfo&) override {
    return std::make_unique<Writer>(into_);
  }

 private:
  class Writer final : public SinkWriter<T> {
   public:
    explicit Writer(std::shared_ptr<Collected<T>> into) : into_(std::move(into)) {}
    void write(const T& value, const SinkContext& context) override { into_->add(value, context.timestamp); }

   private:
    std::shared_ptr<Collected<T>> into_;
  };
  std::shared_ptr<Collected<T>> into_;
};

template <class T>
DataStream<T> StreamEnvironment::from_collection(std::vector<T> values, WatermarkStrategy<T> strategy) {
  auto stream = from_source(CollectionSource<T>(std::move(values)), std::move(strategy), "Collection");
  stream.set_parallelism(1);
  return stream;
}

}  // namespace sluice
