// Consumer: reads chosen partitions through librdkafka with assign(): no consumer group,
// no commits, the caller picks every starting offset. Owns its Handle; close() (or the
// destructor) leaves cleanly. Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kafka/client/config.h"
#include "kafka/client/handle.h"
#include "kafka/client/message.h"

namespace sluice::kafka::client {

// A partition and where to start reading it: an offset >= 0, or one of librdkafka's
// logical offsets (RD_KAFKA_OFFSET_BEGINNING, RD_KAFKA_OFFSET_END, RD_KAFKA_OFFSET_TAIL(n)).
struct PartitionStart {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = RD_KAFKA_OFFSET_END;
};

class Consumer {
 public:
  // Sets the defaults a console consumer wants (no auto-commit, partition EOF events);
  // `-X` properties in `config` win.
  explicit Consumer(Config config);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Replaces the assignment. Throws ClientError if librdkafka refuses it.
  void assign(const std::vector<PartitionStart>& starts);
  // The next record or event, or an empty Message after `timeout`.
  Message poll(std::chrono::milliseconds timeout);
  // For each partition, the first offset whose timestamp is >= timestamp_ms, or -1 when
  // there is none (every record is older). Throws ClientError on failure.
  std::vector<int64_t> offsets_for_times(const std::string& topic,
                                         const std::vector<int32_t>& partitions,
                                         int64_t timestamp_ms, std::chrono::milliseconds timeout);
  void close();
  Handle& handle() { return handle_; }

 private:
  static Config with_defaults(Config config);
  Handle handle_;
  bool closed_ = false;
};

}  // namespace sluice::kafka::client
