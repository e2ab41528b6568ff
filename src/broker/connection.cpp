#include "broker/connection.h"

#include <spdlog/spdlog.h>
#include <sys/sendfile.h>

#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "broker/broker.h"
#include "broker/dispatch.h"
#include "common/byte_order.h"

namespace sluice::broker {
namespace {

using asio::use_awaitable;
using asio::ip::tcp;

// The smallest request: api key, version, correlation id, client id length.
constexpr int32_t kMinRequestBytes = 10;

asio::awaitable<void> send_file_range(tcp::socket& socket, const FileRange& range) {
  off_t offset = off_t(range.offset);
  size_t left = range.length;
  while (left > 0) {
    ssize_t n = ::sendfile(socket.native_handle(), range.fd, &offset, left);
    if (n > 0) {
      left -= size_t(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      co_await socket.async_wait(tcp::socket::wait_write, use_awaitable);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      throw std::system_error(n < 0 ? errno : EIO, std::generic_category(),
                              "sendfile from the log");
    }
  }
}

asio::awaitable<void> send_pieces(tcp::socket& socket, const std::vector<kafka::WirePiece>& pieces) {
  std::vector<asio::const_buffer> batch;
  for (const auto& piece : pieces) {
    if (auto* bytes = std::get_if<std::string>(&piece)) {
      batch.emplace_back(asio::buffer(*bytes));
      continue;
    }
    if (!batch.empty()) {
      co_await asio::async_write(socket, batch, use_awaitable);
      batch.clear();
    }
    co_await send_file_range(socket, std::get<FileRange>(piece));
  }
  if (!batch.empty()) co_await asio::async_write(socket, batch, use_awaitable);
}

}  // namespace

asio::awaitable<void> serve_connection(Broker& broker, tcp::socket socket) {
  std::string peer = "?";
  try {
    auto ep = socket.remote_endpoint();
    peer = ep.address().to_string() + ":" + std::to_string(ep.port());
    socket.set_option(tcp::no_delay(true));
    socket.native_non_blocking(true);
  } catch (const std::system_error&) {
    co_return;  // the client left before we looked
  }
  spdlog::debug("connection from {}", peer);

  std::string frame;
  try {
    for (;;) {
      char size_bytes[4];
      co_await asio::async_read(socket, asio::buffer(size_bytes), use_awaitable);
      int32_t size = load_be<int32_t>(size_bytes);
      if (size < kMinRequestBytes || size > broker.config().max_request_bytes) {
        spdlog::warn("closing connection from {}: request size {} is outside [{}, {}]", peer,
                     size, kMinRequestBytes, broker.config().max_request_bytes);
        break;
      }
      frame.resize(size_t(size));
      asio::error_code read_error;
      size_t got = co_await asio::async_read(socket, asio::buffer(frame),
                                             asio::redirect_error(use_awaitable, read_error));
      if (read_error) {
        spdlog::warn("connection from {} ended mid-request: got {} of {} bytes ({})", peer, got,
                     size, read_error.message());
        break;
      }
      auto response = co_await dispatch_request(broker, frame, peer);
      if (!response.close_reason.empty()) {
        spdlog::warn("closing connection from {}: {}", peer, response.close_reason);
        break;
      }
      if (response.pieces) co_await send_pieces(socket, *response.pieces);
    }
  } catch (const std::system_error& e) {
    if (e.code() != asio::error::eof && e.code() != asio::error::connection_reset &&
        e.code() != asio::error::operation_aborted && e.code() != asio::error::broken_pipe)
      spdlog::warn("connection from {} failed: {}", peer, e.what());
  }
  asio::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  spdlog::debug("connection from {} closed", peer);
}

}  // namespace sluice::broker
