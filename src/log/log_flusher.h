// A thread that fsyncs log files handed to it, so that fsyncs never stall the one thread
// that serves requests: an fsync can take hundreds of milliseconds on a busy disk, and
// every produce and fetch of every client would wait behind it (as Kafka, whose log flusher
// is a scheduler thread beside the request handlers). Used for interval flushes, and for
// group commit under FlushPolicy::kEveryBatch: the appends of many produce requests made
// while one fsync runs share the next one, and each request learns through its completion
// when its data is durable.
//
// Thread-safe: sync() and drain() may be called from any thread. The files are shared: a
// segment that is rolled, closed or deleted while its fsync is queued stays open until the
// fsync is done. Completions run on the flusher's thread, after the fsync, with its status
// (they should only post work elsewhere). A failed fsync without a completion is logged.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "log/file_io.h"

namespace sluice::log {

class LogFlusher {
 public:
  /// Called with the fsync's status once the data written before sync() is durable (or not).
  using Completion = std::function<void(const Status&)>;
  /// How a file is fsynced: sync_file, or a test's stand-in that fails or holds.
  using SyncFunction = std::function<Status(const FileHandle&)>;

  explicit LogFlusher(SyncFunction sync = nullptr);
  /// Syncs what is queued (running the completions), then stops the thread.
  ~LogFlusher();
  LogFlusher(const LogFlusher&) = delete;
  LogFlusher& operator=(const LogFlusher&) = delete;

  /// Queues an fsync of `file`. A file already queued and not started is synced once, for
  /// every caller: that is the group commit. `done` (optional) runs after that fsync, which
  /// starts after this call, so it covers every write made to `file` before the call.
  void sync(std::shared_ptr<FileHandle> file, Completion done = nullptr);
  /// Waits until every file queued before the call has been synced and its completions run.
  void drain();
  /// fsyncs done so far (for tests and metrics).
  uint64_t synced() const;
  /// Completions queued and not yet run (for tests: "every produce is waiting").
  size_t waiting_completions() const;

 private:
  struct Pending {
    std::shared_ptr<FileHandle> file;
    std::vector<Completion> done;
  };
  void run();

  SyncFunction sync_;
  mutable std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable done_;
  std::deque<Pending> queue_;
  size_t waiting_ = 0;   // completions in queue_
  uint64_t queued_ = 0;  // files ever queued (deduplicated ones are not counted)
  uint64_t synced_ = 0;  // of those, synced (or failed)
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sluice::log
