// Sink<T>: where a stream's records go (Flink's Sink). create_writer() is called once per
// parallel subtask before the job starts; each SinkWriter is used by its subtask's thread
// only. write() may buffer; flush() must make everything written so far durable or
// visible (the Kafka sink waits for acknowledgements), and is called at the end of a
// bounded input and before close on a clean stop. close() is also called on cancel or
// failure, without a flush.
//
// Checkpoints: prepare_checkpoint() runs when a checkpoint barrier reaches the writer;
// everything written before it must then be durable (at-least-once: the default flushes)
// or pre-committed (exactly-once). notify_checkpoint_complete() follows a durable
// checkpoint. A sink whose commits must be atomic across its subtasks returns a job-wide
// CheckpointCommitter (the exactly-once Kafka sink).
#pragma once

#include <memory>

#include "sluice/checkpoint.h"
#include "sluice/subtask_info.h"
#include "sluice/time.h"

namespace sluice {

struct SinkContext {
  Timestamp timestamp = kNoTimestamp;  // the record's event timestamp, if any
  Timestamp watermark = kMinTimestamp;  // the writer's current watermark
};

template <class T>
class SinkWriter {
 public:
  virtual ~SinkWriter() = default;
  virtual void open() {}
  virtual void write(const T& value, const SinkContext& context) = 0;
  virtual void flush() {}
  virtual void close() {}
  virtual void prepare_checkpoint(CheckpointId id) { flush(); }
  virtual void notify_checkpoint_complete(CheckpointId id) {}
};

template <class T>
class Sink {
 public:
  using value_type = T;
  virtual ~Sink() = default;
  virtual std::unique_ptr<SinkWriter<T>> create_writer(const SubtaskInfo& subtask) = 0;
  virtual std::shared_ptr<CheckpointCommitter> checkpoint_committer() { return nullptr; }
};

}  // namespace sluice
