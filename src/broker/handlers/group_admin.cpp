// DescribeGroups, ListGroups, DeleteGroups, answered by the GroupCoordinator.
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "broker/handlers.h"

namespace sluice::broker {

using namespace sluice::kafka;

DescribeGroupsResponse handle(Broker& broker, DescribeGroupsRequest& request,
                              const RequestContext&) {
  return broker.groups().describe(request);
}

ListGroupsResponse handle(Broker& broker, ListGroupsRequest&, const RequestContext&) {
  return broker.groups().list();
}

DeleteGroupsResponse handle(Broker& broker, DeleteGroupsRequest& request,
                            const RequestContext& ctx) {
  auto response = broker.groups().delete_groups(request);
  for (const auto& r : response.results)
    if (r.error_code == 0) spdlog::info("deleted group '{}' for {}", r.group_id, ctx.peer);
  return response;
}

}  // namespace sluice::broker
