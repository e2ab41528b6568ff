// A child process for benchmarks that time whole programs (e.g. `sluice run JOB`): started
// with fork/exec, stdout and stderr appended to a log file, PR_SET_PDEATHSIG so that it dies
// with the benchmark, and reaped with wait4 so that its CPU time and peak RSS (ru_maxrss,
// the same figure as VmHWM) are known after it exits.
//
// Contract: start() throws when the program cannot be started. wait_for() reaps the child
// if it exits within the timeout; stop() sends SIGTERM, waits up to 20 s, then SIGKILLs.
// The destructor SIGKILLs a child that is still running. Not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sluice::bench {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::filesystem::path log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void start();
  /// True when the child has exited (now or before); false if still running at the timeout.
  bool wait_for(std::chrono::duration<double> timeout);
  /// SIGTERM, wait up to 20 s, then SIGKILL; returns how it ended (see describe()).
  std::string stop();

  pid_t pid() const { return pid_; }
  bool exited() const { return exited_; }
  /// After exit: "exit 0", "exit 1", "killed by signal 9 (Killed)".
  std::string describe() const;
  bool clean_exit() const;
  /// After exit: user + system CPU seconds and peak resident set (KiB) from wait4's rusage.
  double cpu_seconds() const { return cpu_seconds_; }
  int64_t max_rss_kib() const { return max_rss_kib_; }
  /// While running: a field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); -1 if unreadable.
  int64_t status_kib(const std::string& field) const;
  /// While running: utime + stime in seconds from /proc/PID/stat; -1 if unreadable.
  double running_cpu_seconds() const;
  /// Last `lines` lines of the log file.
  std::string log_tail(int lines = 20) const;

 private:
  std::vector<std::string> argv_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
  double cpu_seconds_ = 0;
  int64_t max_rss_kib_ = 0;
};

}  // namespace sluice::bench
