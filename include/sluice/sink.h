// Sink<T>: where a stream's records go (Flink's Sink). create_writer() is called once per
// parallel subtask before the job starts; each SinkWriter is used by its subtask's thread
// only. write() may buffer; flush() must make everything written so far durable or
// visible (the Kafka sink waits for acknowledgements), and is called at the end of a
// bounded input and before close on a clean stop. close() is also called on cancel or
// failure, without a flush.
#pragma once

#include <memory>

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
};

template <class T>
class Sink {
 public:
  using value_type = T;
  virtual ~Sink() = default;
  virtual std::unique_ptr<SinkWriter<T>> create_writer(const SubtaskInfo& subtask) = 0;
};

}  // namespace sluice
