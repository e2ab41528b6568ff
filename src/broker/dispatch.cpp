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

/// The answer of a Produce once its appends are durable.
asio::awaitable<std::vector<WirePiece>> produce_answer(Broker& broker, ProduceOutcome outcome,
                                                       int32_t correlation_id,
                                                       bool header_flexible, int16_t version,
                                                       bool flexible) {
  ProduceResponse response = co_await await_durable(broker, std::move(outcome));
  co_return encode_response_frame(correlation_id, header_flexible, response, version, flexible);
}

template <class Request>
asio::awaitable<DispatchResult> serve(Broker& broker, WireReader& r, const ApiInfo& api,
                                      const RequestContext& ctx) {
  const int16_t version = ctx.version();
  const bool flexible = api.flexible(version);
  Request request = decode_message<Request>(r, version, flexible);
  if constexpr (std::is_same_v<Request, ProduceRequest>) {
    ProduceOutcome outcome = handle(broker, request, ctx);
    DispatchResult out;
    if (request.acks == 0) co_return out;  // acks=0: the client expects no answer
    if (outcome.waits.empty()) {
      out.pieces = encode_response_frame(ctx.header.correlation_id,
                                         response_header_is_flexible(api, version),
                                         outcome.response, version, flexible);
    } else {
      out.deferred = produce_answer(broker, std::move(outcome), ctx.header.correlation_id,
                                    response_header_is_flexible(api, version), version, flexible);
    }
    co_return out;
  } else {
    using Result = HandlerResult<decltype(handle(broker, request, ctx))>;
    typename Result::type response;
    if constexpr (Result::awaitable)
      response = co_await handle(broker, request, ctx);
    else
      response = handle(broker, request, ctx);
    DispatchResult out;
    out.pieces = encode_response_frame(ctx.header.correlation_id,
                                       response_header_is_flexible(api, version), response,
                                       version, flexible);
    co_return out;
  }
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

uint64_t bytes_of(const std::vector<WirePiece>& pieces) {
  uint64_t bytes = 0;
  for (const auto& piece : pieces)
    bytes += std::visit([](const auto& p) -> uint64_t {
      if constexpr (std::is_same_v<std::decay_t<decltype(p)>, std::string>)
        return p.size();
      else
        return p.length;
    }, piece);
  return bytes;
}

/// A deferred answer, counted in RequestMetrics when it is ready (its latency with the wait).
asio::awaitable<std::vector<WirePiece>> metered(asio::awaitable<std::vector<WirePiece>> answer,
                                                std::chrono::steady_clock::time_point started,
                                                int key, uint64_t bytes_in) {
  auto pieces = co_await std::move(answer);
  auto api = find_api(int16_t(key));
  RequestMetrics::global().record(key, api ? api->name : std::string_view(), bytes_in,
                                  bytes_of(pieces), std::chrono::steady_clock::now() - started,
                                  false);
  co_return pieces;
}

}  // namespace

// Counts the request in RequestMetrics::global() (bytes, API, latency), then dispatches.
asio::awaitable<DispatchResult> dispatch_request(Broker& broker, std::string& frame,
                                                 const std::string& peer) {
  const auto started = std::chrono::steady_clock::now();
  const uint64_t bytes_in = frame.size() + 4;  // with the size prefix
  const int key = frame.size() >= 2 ? load_be<int16_t>(frame.data()) : -1;
  DispatchResult result = co_await dispatch_unmetered(broker, frame, peer);
  if (result.deferred) {
    result.deferred = metered(std::move(*result.deferred), started, key, bytes_in);
    co_return result;
  }
  const uint64_t bytes_out = result.pieces ? bytes_of(*result.pieces) : 0;
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
