// InitProducerId: a producer id and epoch for an idempotent producer.
//
// Without a transactional id the answer is always a fresh producer id with epoch 0, as
// Kafka's TransactionCoordinator gives it: also on v3+ when the producer names its current
// id and epoch (KIP-360's epoch bump is for transactional producers; an idempotent one that
// must reset its sequences simply gets a new id). Ids are never reused (ProducerIdAllocator).
//
// With a transactional id the TransactionCoordinator answers: a new producer id, or the
// id's epoch bumped (aborting an open transaction of an older instance, which is fenced);
// an empty transactional id is INVALID_REQUEST, as in Kafka.
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

InitProducerIdResponse handle(Broker& broker, InitProducerIdRequest& request,
                              const RequestContext& ctx) {
  InitProducerIdResponse out;
  if (request.transactional_id) {
    if (request.transactional_id->empty()) {
      out.error_code = code(ErrorCode::kInvalidRequest);
      return out;
    }
    if ((request.producer_id == -1) != (request.producer_epoch == -1)) {
      out.error_code = code(ErrorCode::kInvalidRequest);
      return out;
    }
    auto r = broker.transactions().init_producer_id(*request.transactional_id,
                                                    request.transaction_timeout_ms,
                                                    request.producer_id, request.producer_epoch,
                                                    ctx.version());
    out.error_code = code(r.error);
    out.producer_id = r.producer_id;
    out.producer_epoch = r.producer_epoch;
    if (r.error != ErrorCode::kNone)
      spdlog::warn("InitProducerId for transactional id '{}' from {} refused: {}",
                   *request.transactional_id, ctx.peer, error_name(r.error));
    return out;
  }
  // v3+: a current producer id and epoch come together or not at all (as Kafka checks).
  if ((request.producer_id == -1) != (request.producer_epoch == -1)) {
    out.error_code = code(ErrorCode::kInvalidRequest);
    return out;
  }
  std::string error;
  auto id = broker.producer_ids().next(error);
  if (!id) {
    spdlog::error("InitProducerId from {}: {}", ctx.peer, error);
    out.error_code = code(ErrorCode::kCoordinatorNotAvailable);  // retriable for clients
    return out;
  }
  out.producer_id = *id;
  out.producer_epoch = 0;
  if (request.producer_id >= 0)
    spdlog::info("idempotent producer {} epoch {} ({}) starts over as producer {}",
                 request.producer_id, request.producer_epoch, ctx.peer, *id);
  else
    spdlog::debug("idempotent producer {} for {}", *id, ctx.peer);
  return out;
}

}  // namespace sluice::broker
