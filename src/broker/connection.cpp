#include "broker/connection.h"

#include <spdlog/spdlog.h>
#include <sys/sendfile.h>

#include <asio/co_spawn.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <deque>
#include <optional>
#include <utility>

#include "broker/broker.h"
#include "broker/dispatch.h"
#include "common/byte_order.h"
#include "kafka/protocol/api_keys.h"

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

/// A wake-up between a connection's reader and writer: a timer that never expires,
/// cancelled to wake the one coroutine waiting on it, which then checks its condition again.
class Signal {
 public:
  explicit Signal(const asio::any_io_executor& ex) : timer_(ex) {}
  void notify() { timer_.cancel(); }
  asio::awaitable<void> wait() {
    timer_.expires_at(asio::steady_timer::time_point::max());
    asio::error_code ignored;  // operation_aborted: notified
    co_await timer_.async_wait(asio::redirect_error(use_awaitable, ignored));
  }

 private:
  asio::steady_timer timer_;
};

/// An answer to send, in request order: ready, or a Produce's that waits for its fsync.
struct Answer {
  std::optional<std::vector<kafka::WirePiece>> pieces;
  std::optional<asio::awaitable<std::vector<kafka::WirePiece>>> deferred;
  /// Counts a deferred answer in Broker::answer_pending until sent or dropped.
  struct Pending {
    Broker* broker = nullptr;
    explicit Pending(Broker* b) : broker(b) {
      if (broker) broker->answer_pending();
    }
    Pending(Pending&& o) noexcept : broker(std::exchange(o.broker, nullptr)) {}
    Pending& operator=(Pending&&) = delete;
    ~Pending() {
      if (broker) broker->answer_done();
    }
  } pending{nullptr};
};

/// What the reader and the writer of one connection share (on the reader's frame).
struct Outbox {
  explicit Outbox(const asio::any_io_executor& ex) : to_writer(ex), to_reader(ex) {}
  std::deque<Answer> answers;
  Signal to_writer;  // an answer was queued, or reading ended
  Signal to_reader;  // an answer was sent, or the writer stopped
  bool reading_done = false;
  bool writer_done = false;
};

constexpr size_t kMaxQueuedAnswers = 16;

/// Sends the queued answers in order until reading has ended and none is left, or a send
/// fails (then it cancels the reader's read).
asio::awaitable<void> write_answers(tcp::socket& socket, Outbox& out, const std::string& peer) {
  try {
    for (;;) {
      while (out.answers.empty()) {
        if (out.reading_done) co_return;
        co_await out.to_writer.wait();
      }
      Answer& answer = out.answers.front();
      if (answer.deferred) answer.pieces = co_await std::move(*answer.deferred);
      co_await send_pieces(socket, *answer.pieces);
      out.answers.pop_front();
      out.to_reader.notify();
    }
  } catch (const std::system_error& e) {
    if (e.code() != asio::error::eof && e.code() != asio::error::connection_reset &&
        e.code() != asio::error::operation_aborted && e.code() != asio::error::broken_pipe)
      spdlog::warn("connection from {} failed: {}", peer, e.what());
  } catch (const std::exception& e) {
    spdlog::error("connection from {}: answer not sent: {}", peer, e.what());
  }
  asio::error_code ignored;
  socket.cancel(ignored);  // the reader stops too
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

  const auto executor = co_await asio::this_coro::executor;
  Outbox out(executor);
  asio::co_spawn(executor, write_answers(socket, out, peer), [&out](std::exception_ptr) {
    out.writer_done = true;
    out.to_reader.notify();
  });
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
      // Produces may be handled while earlier answers wait (a bounded number); any other
      // request only once every earlier answer is out, as if one request at a time.
      const bool produce = load_be<int16_t>(frame.data()) == int16_t(kafka::ApiKey::kProduce);
      while (!out.writer_done &&
             (produce ? out.answers.size() >= kMaxQueuedAnswers : !out.answers.empty()))
        co_await out.to_reader.wait();
      if (out.writer_done) break;
      auto response = co_await dispatch_request(broker, frame, peer);
      if (!response.close_reason.empty()) {
        spdlog::warn("closing connection from {}: {}", peer, response.close_reason);
        break;
      }
      if (response.deferred) {
        out.answers.push_back({std::nullopt, std::move(response.deferred), Answer::Pending(&broker)});
        out.to_writer.notify();
      } else if (response.pieces) {
        out.answers.push_back({std::move(response.pieces), std::nullopt});
        out.to_writer.notify();
      }
    }
  } catch (const std::system_error& e) {
    if (e.code() != asio::error::eof && e.code() != asio::error::connection_reset &&
        e.code() != asio::error::operation_aborted && e.code() != asio::error::broken_pipe)
      spdlog::warn("connection from {} failed: {}", peer, e.what());
  }
  // The answers already queued still go out (a Produce's once its fsync is done).
  out.reading_done = true;
  out.to_writer.notify();
  while (!out.writer_done) co_await out.to_reader.wait();
  asio::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  spdlog::debug("connection from {} closed", peer);
}

}  // namespace sluice::broker
