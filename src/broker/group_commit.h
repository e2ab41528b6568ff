// Group commit of produced batches under `--flush every-batch`. The produce handler appends
// with PartitionLog::append_deferred and calls sync(): the partition's file goes to the
// broker's LogFlusher, whose thread fsyncs it while the request thread goes on serving, so
// the appends of every produce request (from every connection) made while one fsync runs
// share the next one. When an fsync is done its completion, posted back to the request
// thread, advances the partition's high watermark (or fails the log) and wakes whoever
// waits on the partition in FetchWaiters: long-polling fetches (the records are now
// visible) and produces in wait(), whose answers are sent only then. So an acknowledged
// produce (acks=1 or all alike) is durable, and no consumer sees a record before it is.
//
// Single-threaded: sync() and wait() run on the broker's request thread (the io_context);
// the flusher's completions are posted to it.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "broker/fetch_waiters.h"
#include "kafka/protocol/errors.h"
#include "log/log_flusher.h"
#include "log/log_store.h"

namespace sluice::broker {

class GroupCommit {
 public:
  GroupCommit(asio::io_context& io, log::LogStore& logs, log::LogFlusher& flusher,
              FetchWaiters& waiters)
      : io_(io), logs_(logs), flusher_(flusher), waiters_(waiters) {}

  /// Queues the fsync of `log`'s deferred appends (nothing when none waits).
  void sync(const std::string& topic, int32_t partition, log::PartitionLog& log);

  /// Waits until the log `log_id` of topic-partition holds `end_offset` durably (its high
  /// watermark reached it). kNone, or the produce error to answer: kKafkaStorageError (the
  /// fsync failed), kUnknownTopicOrPartition (the topic was deleted meanwhile),
  /// kRequestTimedOut (not durable within `timeout`; zero or less waits without limit).
  asio::awaitable<kafka::ErrorCode> wait(std::string topic, int32_t partition, uint64_t log_id,
                                         int64_t end_offset, std::chrono::milliseconds timeout);

 private:
  asio::io_context& io_;
  log::LogStore& logs_;
  log::LogFlusher& flusher_;
  FetchWaiters& waiters_;
};

}  // namespace sluice::broker
