// FindCoordinator. This broker is the group coordinator of every group (key_type 0) and
// the transaction coordinator of every transactional id (key_type 1). Serving the API at all matters: librdkafka enables LZ4 only for brokers that
// list FindCoordinator.
#include "broker/broker.h"
#include "broker/handlers.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

FindCoordinatorResponse handle(Broker& broker, FindCoordinatorRequest& request,
                               const RequestContext& ctx) {
  FindCoordinatorResponse response;
  const int8_t key_type = ctx.version() >= 1 ? request.key_type : 0;
  if (key_type == 0 || key_type == 1) {
    response.node_id = broker.config().node_id;
    response.host = broker.advertised_host();
    response.port = int32_t(broker.port());
    return response;
  }
  response.error_code = code(ErrorCode::kInvalidRequest);
  response.error_message = "unknown coordinator key type " + std::to_string(key_type);
  return response;
}

}  // namespace sluice::broker
