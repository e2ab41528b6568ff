// JoinGroup, SyncGroup, Heartbeat, LeaveGroup: thin adapters over the GroupCoordinator.
// JoinGroup and SyncGroup wait (as coroutines) until the rebalance answers them; other
// requests on the same connection wait behind them, as with Kafka.
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <optional>

#include "broker/broker.h"
#include "broker/handlers.h"

namespace sluice::broker {

using namespace sluice::kafka;

namespace {

/// Kafka reports a member's host as InetAddress.toString() does: "/127.0.0.1".
std::string client_host(const std::string& peer) {
  auto colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

/// Where the coordinator's answer to a waiting JoinGroup or SyncGroup lands: the callback
/// stores it and cancels the timer the coroutine waits on. (Not asio::async_initiate: GCC
/// 12 destroys a by-value lambda parameter of the initiating coroutine twice.)
template <class Response>
struct Rendezvous {
  explicit Rendezvous(asio::any_io_executor executor) : timer(executor) {
    timer.expires_at(asio::steady_timer::time_point::max());
  }
  std::function<void(Response)> callback(const std::shared_ptr<Rendezvous>& self) {
    return [self](Response r) {
      self->response = std::move(r);
      self->timer.cancel();
    };
  }
  asio::awaitable<Response> wait() {
    while (!response) {
      asio::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*response);
  }
  std::optional<Response> response;
  asio::steady_timer timer;
};

}  // namespace

asio::awaitable<JoinGroupResponse> handle(Broker& broker, JoinGroupRequest& request,
                                          const RequestContext& ctx) {
  group::ClientInfo client{ctx.header.client_id.value_or(""), client_host(ctx.peer)};
  auto slot = std::make_shared<Rendezvous<JoinGroupResponse>>(co_await asio::this_coro::executor);
  broker.groups().join(request, ctx.version(), client, slot->callback(slot));
  co_return co_await slot->wait();
}

asio::awaitable<SyncGroupResponse> handle(Broker& broker, SyncGroupRequest& request,
                                          const RequestContext&) {
  auto slot = std::make_shared<Rendezvous<SyncGroupResponse>>(co_await asio::this_coro::executor);
  broker.groups().sync(request, slot->callback(slot));
  co_return co_await slot->wait();
}

HeartbeatResponse handle(Broker& broker, HeartbeatRequest& request, const RequestContext&) {
  return broker.groups().heartbeat(request);
}

LeaveGroupResponse handle(Broker& broker, LeaveGroupRequest& request, const RequestContext& ctx) {
  return broker.groups().leave(request, ctx.version());
}

}  // namespace sluice::broker
