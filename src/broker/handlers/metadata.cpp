// Metadata: this broker is the whole cluster and leads every partition.
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

namespace {

MetadataResponse::Topic describe_topic(Broker& broker, const std::string& name,
                                       int32_t partitions) {
  MetadataResponse::Topic topic;
  topic.name = name;
  int32_t node = broker.config().node_id;
  for (int32_t p = 0; p < partitions; ++p) {
    MetadataResponse::Partition part;
    part.partition_index = p;
    part.leader_id = node;
    part.leader_epoch = 0;
    part.replica_nodes = {node};
    part.isr_nodes = {node};
    topic.partitions.push_back(std::move(part));
  }
  return topic;
}

}  // namespace

MetadataResponse handle(Broker& broker, MetadataRequest& request, const RequestContext& ctx) {
  MetadataResponse response;
  response.brokers.push_back(
      {broker.config().node_id, broker.advertised_host(), int32_t(broker.port()), std::nullopt});
  response.cluster_id = broker.cluster_id();
  response.controller_id = broker.config().node_id;

  auto& logs = broker.logs();
  // v0 has no null list: an empty one means every topic.
  bool all = !request.topics || (ctx.version() == 0 && request.topics->empty());
  if (all) {
    for (const auto& t : logs.topics())
      response.topics.push_back(describe_topic(broker, t.name, t.partitions));
    return response;
  }
  bool may_create = broker.config().auto_create_topics && request.allow_auto_topic_creation;
  for (const auto& wanted : *request.topics) {
    int32_t partitions = logs.partition_count(wanted.name);
    if (partitions == 0 && may_create) {
      auto created = logs.create_topic(wanted.name, broker.config().default_partitions, {});
      if (created.ok()) {
        spdlog::info("auto-created topic '{}' with {} partition(s) for {}", wanted.name,
                     broker.config().default_partitions, ctx.peer);
        partitions = broker.config().default_partitions;
      } else {
        MetadataResponse::Topic bad;
        bad.name = wanted.name;
        bad.error_code = code(ErrorCode::kInvalidTopicException);
        response.topics.push_back(std::move(bad));
        continue;
      }
    }
    if (partitions == 0) {
      MetadataResponse::Topic missing;
      missing.name = wanted.name;
      missing.error_code = code(ErrorCode::kUnknownTopicOrPartition);
      response.topics.push_back(std::move(missing));
      continue;
    }
    response.topics.push_back(describe_topic(broker, wanted.name, partitions));
  }
  return response;
}

}  // namespace sluice::broker
