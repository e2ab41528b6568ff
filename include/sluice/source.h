// Source<T>: where a stream's records come from (Flink's Source). The environment calls
// create_reader() once per parallel subtask, on the job's thread, before the job starts;
// each SourceReader is then used by its subtask's thread only.
//
// A reader is polled in a loop: poll() emits what is ready (a bounded amount, ideally a
// few hundred records) and must return within ~100 ms when nothing arrives, so that the
// subtask can fire timers, flush and notice a cancel. It ends its input by returning
// end_of_input; the runtime then emits the final watermark so that every window fires.
//
// Splits: a reader that reads several independent inputs (Kafka partitions) passes a split
// number with each record; the runtime keeps one watermark per split and emits their
// minimum, leaving out splits that are idle or finished (finish_split).
//
// Checkpoints: snapshot_state() returns the reader's position (Kafka offsets), between two
// polls; restore_state() gets, before open(), every position that the subtasks of the
// previous run saved (the parallelism may differ: take what is yours);
// notify_checkpoint_complete() follows a durable checkpoint (the Kafka reader commits its
// offsets to the group then). A reader that keeps no position restarts from its start.
#pragma once

#include <memory>
#include <string>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sluice/checkpoint.h"
#include "sluice/subtask_info.h"
#include "sluice/time.h"

namespace sluice {

template <class T>
class SourceOutput {
 public:
  virtual ~SourceOutput() = default;
  // Emits one record. `timestamp` is the input's own timestamp (Kafka's record timestamp)
  // or kNoTimestamp; the job's WatermarkStrategy may replace it.
  virtual void collect(T value, Timestamp timestamp, int split = 0) = 0;
  // Emits one record that the reader keeps (and may reuse for the next one: its strings
  // keep their capacity). The runtime copies it only where it must keep it (an exchange to
  // another subtask, a window's list); operators that only read it see it by reference.
  // `value` is not changed.
  virtual void collect_borrowed(const T& value, Timestamp timestamp, int split = 0) {
    if constexpr (std::is_copy_constructible_v<T>) {
      collect(T(value), timestamp, split);
    } else {
      throw std::logic_error("SourceOutput::collect_borrowed: the record type cannot be copied; move it");
    }
  }
  // Declares a split this reader owns before it has records (a Kafka partition that is
  // still empty holds the watermark back from the start). A reader that declares no split
  // and emits nothing is idle: it does not hold back its consumers' watermarks.
  virtual void register_split(int split) = 0;
  // The split will have no more records: it no longer holds the watermark back.
  virtual void finish_split(int split) = 0;
};

enum class SourceStatus {
  more_available,     // call poll again at once
  nothing_available,  // nothing arrived within the reader's own short wait
  end_of_input,       // bounded input done; poll is not called again
};

template <class T>
class SourceReader {
 public:
  virtual ~SourceReader() = default;
  virtual void open() {}
  virtual SourceStatus poll(SourceOutput<T>& output) = 0;
  // Called once, on the subtask's thread, after the last poll (also on cancel).
  virtual void close() {}

  virtual std::string snapshot_state(CheckpointId id) { return {}; }
  virtual void restore_state(const std::vector<std::string_view>& states) {}
  virtual void notify_checkpoint_complete(CheckpointId id) {}
};

template <class T>
class Source {
 public:
  using value_type = T;
  virtual ~Source() = default;
  virtual std::unique_ptr<SourceReader<T>> create_reader(const SubtaskInfo& subtask) = 0;
  // Whether every reader eventually returns end_of_input.
  virtual bool bounded() const = 0;
};

}  // namespace sluice
