// OffsetCommit, OffsetFetch, OffsetDelete: committed offsets of consumer groups, kept by
// the GroupCoordinator in its OffsetStore.
#include "broker/broker.h"
#include "broker/handlers.h"

namespace sluice::broker {

using namespace sluice::kafka;

OffsetCommitResponse handle(Broker& broker, OffsetCommitRequest& request,
                            const RequestContext& ctx) {
  return broker.groups().commit_offsets(request, ctx.version());
}

OffsetFetchResponse handle(Broker& broker, OffsetFetchRequest& request,
                           const RequestContext& ctx) {
  return broker.groups().fetch_offsets(request, ctx.version());
}

OffsetDeleteResponse handle(Broker& broker, OffsetDeleteRequest& request, const RequestContext&) {
  return broker.groups().delete_offsets(request);
}

}  // namespace sluice::broker
