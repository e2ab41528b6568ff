// ProgressMeter: the progress line of the console tools (records and bytes so far, rate),
// written to stderr. On a terminal the line is rewritten in place with '\r' a few times a
// second; otherwise a plain line is printed every `plain_interval`. finish() prints the
// summary. Call from one thread; update() is cheap enough to call for every record.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace sluice::kafka::client {

class ProgressMeter {
 public:
  using Clock = std::chrono::steady_clock;

  // verb: "produced", "consumed"; out: normally stderr.
  ProgressMeter(std::string verb, std::FILE* out = stderr,
                std::chrono::milliseconds plain_interval = std::chrono::seconds(5));

  // Records and bytes done so far (totals, not increments).
  void update(uint64_t records, uint64_t bytes);
  // Clears the live line and prints "<verb> N records (B bytes) in T s (R records/s)"
  // followed by `suffix` (e.g. ", 3 failed").
  void finish(const std::string& suffix = "");
  // Formats n like 12.3k / 4.5M (three significant digits).
  static std::string human(double n);

 private:
  std::string line(Clock::time_point now) const;

  std::string verb_;
  std::FILE* out_;
  bool live_;
  std::chrono::milliseconds interval_;
  Clock::time_point start_;
  Clock::time_point last_print_;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  bool line_shown_ = false;
};

}  // namespace sluice::kafka::client
