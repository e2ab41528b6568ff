// RatePacer: a token bucket that lets a loop run at most `rate` iterations per second on
// average, with bursts of at most `burst` to catch up after a stall (a slow poll, a
// de-scheduled thread). rate <= 0 means unpaced. Uses steady_clock; one thread.
#pragma once

#include <algorithm>
#include <chrono>

namespace sluice::generators {

class RatePacer {
 public:
  using Clock = std::chrono::steady_clock;

  // burst <= 0: a tenth of a second's worth of tokens (at least 1).
  explicit RatePacer(double rate, double burst = 0, Clock::time_point start = Clock::now())
      : rate_(rate),
        burst_(burst > 0 ? burst : std::max(1.0, rate / 10)),
        tokens_(std::min(1.0, burst_)),
        last_(start) {}

  bool paced() const { return rate_ > 0; }

  // Takes one token if there is one at `now`; otherwise returns false and sets `wait` to
  // how long until there will be.
  bool try_acquire(Clock::time_point now, Clock::duration& wait) {
    if (rate_ <= 0) return true;
    refill(now);
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return true;
    }
    wait = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>((1 - tokens_) / rate_));
    if (wait <= Clock::duration::zero()) wait = Clock::duration(1);
    return false;
  }

 private:
  void refill(Clock::time_point now) {
    if (now <= last_) return;
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace sluice::generators
