// A `sluice broker` child process for benchmarks: a free loopback port, a fresh temporary
// data dir, stdout/stderr to a log file in that dir, and /proc readings (RSS, CPU time).
//
// Contract: start() returns once the broker accepts TCP connections, or throws with the
// tail of the broker's log. stop() sends SIGTERM, waits up to 20 s (then SIGKILL) and
// returns a description of how it ended; the destructor stops it if still running and
// removes the temporary directory unless keep_dir() was asked for. The child gets
// PR_SET_PDEATHSIG so that it dies with the benchmark. Not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sluice::bench {

class BrokerProcess {
 public:
  /// `sluice` is the binary; extra_args are appended after `broker --listen --data-dir`.
  BrokerProcess(std::filesystem::path sluice, std::vector<std::string> extra_args);
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  void start();
  /// SIGTERM, wait; "exit 0", "exit 3", "killed by signal 11", "did not stop ... SIGKILL".
  /// clean is set to true only for a plain exit 0.
  std::string stop(bool* clean = nullptr);
  /// Whether the child is still running (reaps it when it has exited).
  bool alive();

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& log_path() const { return log_path_; }
  void keep_dir() { keep_dir_ = true; }

  /// Last `lines` lines of the broker's log file.
  std::string log_tail(int lines = 30) const;
  /// A field of /proc/PID/status in KiB (e.g. "VmRSS", "VmHWM"); -1 if unreadable.
  int64_t status_kib(const std::string& field) const;
  /// utime + stime of the process in seconds, from /proc/PID/stat; -1 if unreadable.
  double cpu_seconds() const;
  /// Bytes under the data dir (sum of regular file sizes).
  uint64_t data_bytes() const;

 private:
  std::filesystem::path sluice_;
  std::vector<std::string> extra_args_;
  std::filesystem::path dir_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  int exit_status_ = 0;
  bool exited_ = false;
  uint16_t port_ = 0;
  bool keep_dir_ = false;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
uint16_t free_loopback_port();

/// The `sluice` binary next to this executable: <exe dir>/sluice or <exe dir>/../sluice.
std::filesystem::path default_sluice_path();

}  // namespace sluice::bench
