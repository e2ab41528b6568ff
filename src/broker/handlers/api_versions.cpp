// ApiVersions and SaslHandshake: what the broker serves, and no SASL.
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

ApiVersionsResponse handle(Broker&, ApiVersionsRequest&, const RequestContext&) {
  ApiVersionsResponse response;
  for (const auto& api : supported_apis())
    response.api_keys.push_back({int16_t(api.key), api.min_version, api.max_version});
  return response;
}

SaslHandshakeResponse handle(Broker&, SaslHandshakeRequest& request, const RequestContext& ctx) {
  spdlog::info("client {} asked for SASL mechanism '{}': this broker has no SASL", ctx.peer,
               request.mechanism);
  return {code(ErrorCode::kUnsupportedSaslMechanism), {}};
}

}  // namespace sluice::broker
