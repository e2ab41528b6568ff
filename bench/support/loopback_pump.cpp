#include "loopback_pump.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace sluice::bench {
namespace {

double process_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::system_error sys_error(const std::string& what) {
  return std::system_error(errno, std::generic_category(), "loopback pump: " + what);
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

}  // namespace

PumpResult loopback_pump(std::chrono::duration<double> duration, size_t buffer_bytes) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.fd < 0) throw sys_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw sys_error("bind");
  }
  if (::listen(listener.fd, 1) != 0) throw sys_error("listen");
  ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len);

  Fd writer(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (writer.fd < 0) throw sys_error("socket");
  if (::connect(writer.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw sys_error("connect");
  }
  Fd reader(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (reader.fd < 0) throw sys_error("accept");

  std::atomic<bool> stop{false};
  std::atomic<int> write_errno{0};
  std::thread writer_thread([&] {
    std::vector<char> buf(buffer_bytes, 'x');
    while (!stop.load(std::memory_order_relaxed) && !write_errno) {
      size_t off = 0;
      while (off < buf.size()) {
        ssize_t n = ::send(writer.fd, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EINTR) continue;
          write_errno = errno;
          break;
        }
        off += static_cast<size_t>(n);
      }
    }
    ::shutdown(writer.fd, SHUT_WR);  // the reader drains until this end of stream
  });

  std::vector<char> buf(buffer_bytes);
  PumpResult result;
  int read_errno = 0;
  double cpu_start = process_cpu_seconds();
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(duration);
  for (;;) {
    ssize_t n = ::recv(reader.fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      read_errno = errno;
      break;
    }
    if (n == 0) break;
    result.bytes += static_cast<uint64_t>(n);
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.cpu_seconds = process_cpu_seconds() - cpu_start;
  stop = true;
  // Drain (uncounted) until the writer finishes its current buffer and shuts down its side.
  while (!read_errno) {
    ssize_t n = ::recv(reader.fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
  }
  writer_thread.join();
  if (read_errno) {
    errno = read_errno;
    throw sys_error("recv");
  }
  if (write_errno && write_errno != EPIPE && write_errno != ECONNRESET) {
    errno = write_errno;
    throw sys_error("send");
  }
  return result;
}

}  // namespace sluice::bench
