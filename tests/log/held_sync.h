// HeldSync: a LogFlusher::SyncFunction for tests that holds every fsync until open(),
// counts the fsyncs started, and, when opened with fail = true, fails them (as EIO would)
// instead of syncing. Lets a test know what waits on an fsync without timing anything.
#pragma once

#include <condition_variable>
#include <mutex>

#include "log/file_io.h"
#include "log/log_flusher.h"

namespace sluice::log::testing {

class HeldSync {
 public:
  LogFlusher::SyncFunction function() {
    return [this](const FileHandle& file) {
      std::unique_lock lock(mu_);
      ++started_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
      return fail_ ? Status::error(Errc::kStorageError, "injected fsync failure (EIO)")
                   : sync_file(file);
    };
  }
  void open(bool fail = false) {
    std::lock_guard lock(mu_);
    open_ = true;
    fail_ = fail;
    cv_.notify_all();
  }
  void wait_started(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  int started() {
    std::lock_guard lock(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
  bool open_ = false;
  bool fail_ = false;
};

}  // namespace sluice::log::testing
