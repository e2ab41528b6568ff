#include "kafka/client/progress_meter.h"

#include <unistd.h>

namespace sluice::kafka::client {

ProgressMeter::ProgressMeter(std::string verb, std::FILE* out,
                             std::chrono::milliseconds plain_interval)
    : verb_(std::move(verb)),
      out_(out),
      live_(isatty(fileno(out)) != 0),
      interval_(live_ ? std::chrono::milliseconds(250) : plain_interval),
      start_(Clock::now()),
      last_print_(start_) {}

std::string ProgressMeter::human(double n) {
  char buf[32];
  if (n < 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", n);
  } else if (n < 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gk", n / 1e3);
  } else if (n < 1e9) {
    std::snprintf(buf, sizeof buf, "%.3gM", n / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3gG", n / 1e9);
  }
  return buf;
}

std::string ProgressMeter::line(Clock::time_point now) const {
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(records_) / secs : 0.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %llu records (%sB) in %.1fs (%s records/s)", verb_.c_str(),
                static_cast<unsigned long long>(records_),
                human(static_cast<double>(bytes_)).c_str(), secs, human(rate).c_str());
  return buf;
}

void ProgressMeter::update(uint64_t records, uint64_t bytes) {
  records_ = records;
  bytes_ = bytes;
  // Looking at the clock for every record costs ~20ns; cheap next to producing a record.
  const auto now = Clock::now();
  if (now - last_print_ < interval_) return;
  last_print_ = now;
  if (live_) {
    std::fprintf(out_, "\r\033[K%s", line(now).c_str());
    line_shown_ = true;
  } else {
    std::fprintf(out_, "%s\n", line(now).c_str());
  }
  std::fflush(out_);
}

void ProgressMeter::finish(const std::string& suffix) {
  if (live_ && line_shown_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_, "%s%s\n", line(Clock::now()).c_str(), suffix.c_str());
  std::fflush(out_);
}

}  // namespace sluice::kafka::client
