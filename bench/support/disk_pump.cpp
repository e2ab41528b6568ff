#include "disk_pump.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

namespace sluice::bench {
namespace {

double process_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

PumpResult disk_pump(const std::filesystem::path& dir, std::chrono::duration<double> duration,
                     std::chrono::milliseconds sync_interval, size_t buffer_bytes) {
  using Clock = std::chrono::steady_clock;
  const std::filesystem::path path = dir / "disk-pump.tmp";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "disk pump: open " + path.string());
  std::vector<char> buf(buffer_bytes);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<char>(i * 131 + 7);

  PumpResult result;
  int err = 0;
  std::string what;
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  auto last_sync = start;
  for (;;) {
    size_t off = 0;
    while (off < buf.size()) {
      ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        err = errno, what = "write";
        break;
      }
      off += static_cast<size_t>(n);
    }
    if (err) break;
    result.bytes += buf.size();
    auto now = Clock::now();
    if (now - last_sync >= sync_interval) {
      if (::fdatasync(fd) != 0) {
        err = errno, what = "fdatasync";
        break;
      }
      last_sync = Clock::now();
    }
    if (now >= deadline) break;
  }
  if (!err && ::fdatasync(fd) != 0) err = errno, what = "fdatasync";  // what was written is durable
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.cpu_seconds = process_cpu_seconds() - cpu_start;
  ::close(fd);
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  if (err) throw std::system_error(err, std::generic_category(), "disk pump: " + what + " " + path.string());
  return result;
}

}  // namespace sluice::bench
