// JoinGroup, SyncGroup, Heartbeat, LeaveGroup: thin adapters over the GroupCoordinator.
// JoinGroup and SyncGroup wait (as coroutines) until the rebalance answers them; other
// requests on the same connection wait behind them, as with Kafka.
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>

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

/// Suspends the coroutine until `start` calls the callback it is given (once, possibly
/// synchronously); the result is posted to the coroutine's executor, so the coordinator
/// never runs client code inside its own call.
template <class Response, class Start>
asio::awaitable<Response> wait_for(Start start) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Response)>(
      [start = std::move(start)](auto handler) mutable {
        using Handler = decltype(handler);
        auto shared = std::make_shared<Handler>(std::move(handler));
        start([shared](Response response) {
          auto executor = asio::get_associated_executor(*shared);
          asio::post(executor, [shared, response = std::move(response)]() mutable {
            std::move (*shared)(std::move(response));
          });
        });
      },
      asio::use_awaitable);
}

}  // namespace

asio::awaitable<JoinGroupResponse> handle(Broker& broker, JoinGroupRequest& request,
                                          const RequestContext& ctx) {
  group::ClientInfo client{ctx.header.client_id.value_or(""), client_host(ctx.peer)};
  const int16_t version = ctx.version();
  co_return co_await wait_for<JoinGroupResponse>(
      [&broker, &request, client, version](std::function<void(JoinGroupResponse)> done) {
        broker.groups().join(request, version, client, std::move(done));
      });
}

asio::awaitable<SyncGroupResponse> handle(Broker& broker, SyncGroupRequest& request,
                                          const RequestContext&) {
  co_return co_await wait_for<SyncGroupResponse>(
      [&broker, &request](std::function<void(SyncGroupResponse)> done) {
        broker.groups().sync(request, std::move(done));
      });
}

HeartbeatResponse handle(Broker& broker, HeartbeatRequest& request, const RequestContext&) {
  return broker.groups().heartbeat(request);
}

LeaveGroupResponse handle(Broker& broker, LeaveGroupRequest& request, const RequestContext& ctx) {
  return broker.groups().leave(request, ctx.version());
}

}  // namespace sluice::broker
