// A thread that fsyncs log files handed to it, so that the broker's interval flushes
// (FlushPolicy::kInterval) never stall the one thread that serves requests: an fsync of a
// second of appends can take hundreds of milliseconds on a busy disk, and every produce and
// fetch of every client would wait behind it (as Kafka, whose log flusher is a scheduler
// thread beside the request handlers).
//
// Thread-safe: sync() and drain() may be called from any thread. The files are shared: a
// segment that is rolled, closed or deleted while its fsync is queued stays open until the
// fsync is done. A failed fsync is logged (as a synchronous interval flush's is).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "log/file_io.h"

namespace sluice::log {

class LogFlusher {
 public:
  LogFlusher();
  /// Syncs what is queued, then stops the thread.
  ~LogFlusher();
  LogFlusher(const LogFlusher&) = delete;
  LogFlusher& operator=(const LogFlusher&) = delete;

  /// Queues an fsync of `file` (a file already queued is synced once).
  void sync(std::shared_ptr<FileHandle> file);
  /// Waits until every file queued before the call has been synced.
  void drain();
  /// fsyncs done so far (for tests and metrics).
  uint64_t synced() const;

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable done_;
  std::deque<std::shared_ptr<FileHandle>> queue_;
  uint64_t queued_ = 0;  // files ever queued (deduplicated ones are not counted)
  uint64_t synced_ = 0;  // of those, synced (or failed)
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sluice::log
