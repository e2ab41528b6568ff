#include "kafka/client/wire_connection.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace sluice::kafka::client {

WireConnection::WireConnection(const std::string& host, uint16_t port, double timeout_s,
                               std::string client_id)
    : where_(host + ":" + std::to_string(port)), client_id_(std::move(client_id)) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    throw std::runtime_error("cannot resolve " + where_);
  for (addrinfo* a = found; a && fd_ < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{time_t(timeout_s), suseconds_t((timeout_s - time_t(timeout_s)) * 1e6)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0)
      fd_ = fd;
    else
      ::close(fd);
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) throw std::runtime_error("cannot connect to " + where_ + " (is Kafka running there?)");
}

WireConnection::~WireConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void WireConnection::send_all(std::string_view b, std::string_view api) {
  while (!b.empty()) {
    ssize_t n = ::send(fd_, b.data(), b.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("lost the connection to " + where_ + " sending " + std::string(api));
    b.remove_prefix(size_t(n));
  }
}

void WireConnection::recv_all(char* p, size_t n, std::string_view api) {
  while (n > 0) {
    ssize_t got = ::recv(fd_, p, n, 0);
    if (got <= 0)
      throw std::runtime_error(where_ + " closed the connection or timed out on " + std::string(api) +
                               " (does it serve " + std::string(api) + " at this version?)");
    p += got;
    n -= size_t(got);
  }
}

}  // namespace sluice::kafka::client
