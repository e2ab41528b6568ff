// FindCoordinator. The group and transaction coordinators are not built yet, so every
// lookup is answered COORDINATOR_NOT_AVAILABLE (clients retry; consumers that assign()
// partitions themselves work). Serving the API at all matters: librdkafka enables LZ4 only
// for brokers that list FindCoordinator.
#include "broker/broker.h"
#include "broker/handlers.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

FindCoordinatorResponse handle(Broker&, FindCoordinatorRequest& request, const RequestContext&) {
  FindCoordinatorResponse response;
  response.error_code = code(ErrorCode::kCoordinatorNotAvailable);
  response.error_message = std::string(request.key_type == 1 ? "transaction" : "group") +
                           " coordinator not available on this broker yet";
  return response;
}

}  // namespace sluice::broker
