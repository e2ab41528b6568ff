#include "broker/dispatch.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "common/byte_order.h"
#include "common/request_metrics.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/request_header.h"

namespace sluice::broker {
namespace {

using namespace sluice::kafka;

// The response type of a handler, whether it answers at once or is a coroutine.
template <class T>
struct HandlerResult {
  using type = T;
  static constexpr bool awaitable = false;
};
template <class T>
struct HandlerResult<asio::awaitable<T>> {
  using type = T;
  static constexpr bool awaitable = true;
};

template <class Request>
asio::awaitable<DispatchResult> serve(Broker& broker, WireReader& r, const ApiInfo& api,
                                      const RequestContext& ctx) {
  const int16_t version = ctx.version();
  const bool flexible = api.flexible(version);
  Request request = decode_message<Request>(r, version, flexible);
  using Result = HandlerResult<decltype(handle(broker, request, ctx))>;
  typename Result::type response;
  if constexpr (Result::awaitable)
    response = co_await handle(broker, request, ctx);
  else
    response = handle(broker, request, ctx);
  DispatchResult out;
  if constexpr (std::is_same_v<Request, ProduceRequest>) {
    if (request.acks == 0) co_return out;  // acks=0: the client expects no answer
  }
  out.pieces = encode_response_frame(ctx.header.correlation_id,
                                     response_header_is_flexible(api, version), response,
                                     version, flexible);
  co_return out;
}

/// The answer to an ApiVersions request of a version we do not serve: a v0 response with
/// UNSUPPORTED_VERSION and our ranges, so the client can retry with one we do (KIP-511).
DispatchResult unsupported_api_versions(Broker& broker, const RequestHeader& h) {
  RequestContext ctx{h, ""};
  ApiVersionsRequest req;
  auto response = handle(broker, req, ctx);
  response.error_code = code(ErrorCode::kUnsupportedVersion);
  DispatchResult out;
  out.pieces = encode_response_frame(h.correlation_id, false, response, 0, false);
  return out;
}

asio::awaitable<DispatchResult> dispatch_unmetered(Broker& broker, std::string& frame,
                                                  const std::string& peer);

}  // namespace

// Counts the request in RequestMetrics::global() (bytes, API, latency), then dispatches.
asio::awaitable<DispatchResult> dispatch_request(Broker& broker, std::string& frame,
                                                 const std::string& peer) {
  const auto started = std::chrono::steady_clock::now();
  const uint64_t bytes_in = frame.size() + 4;  // with the size prefix
  const int key = frame.size() >= 2 ? load_be<int16_t>(frame.data()) : -1;
  DispatchResult result = co_await dispatch_unmetered(broker, frame, peer);
  uint64_t bytes_out = 0;
  if (result.pieces)
    for (const auto& piece : *result.pieces)
      bytes_out += std::visit([](const auto& p) -> uint64_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, std::string>)
          return p.size();
        else
          return p.length;
      }, piece);
  auto api = find_api(int16_t(key));
  RequestMetrics::global().record(api ? key : -1, api ? api->name : std::string_view(),
                                  bytes_in, bytes_out, std::chrono::steady_clock::now() - started,
                                  !result.close_reason.empty());
  co_return result;
}

namespace {

asio::awaitable<DispatchResult> dispatch_unmetered(Broker& broker, std::string& frame,
                                                  const std::string& peer) {
  WireReader r(frame);
  RequestHeader header;
  try {
    header = read_request_header(r);
  } catch (const DecodeError& e) {
    co_return DispatchResult{std::nullopt, fmt::format("malformed request header: {}", e.what())};
  }
  auto api = find_api(header.api_key);
  if (!api)
    co_return DispatchResult{std::nullopt, fmt::format("unknown API key {} (client {})",
                                                       header.api_key,
                                                       header.client_id.value_or("?"))};
  if (!api->supports(header.api_version)) {
    if (api->key == ApiKey::kApiVersions) co_return unsupported_api_versions(broker, header);
    co_return DispatchResult{
        std::nullopt, fmt::format("{} version {} is not supported (we serve {}..{})", api->name,
                                  header.api_version, api->min_version, api->max_version)};
  }
  RequestContext ctx{header, peer};
  try {
    if (api->flexible(header.api_version)) r.skip_tagged_fields();
    co_return co_await with_request_type(api->key, [&](auto type) {
      return serve<typename decltype(type)::type>(broker, r, *api, ctx);
    });
  } catch (const DecodeError& e) {
    co_return DispatchResult{std::nullopt, fmt::format("malformed {} v{} request: {}", api->name,
                                                       header.api_version, e.what())};
  }
}

}  // namespace

}  // namespace sluice::broker
