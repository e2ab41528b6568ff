// CreateTopics, DeleteTopics, CreatePartitions. One broker: every replication factor but 1
// (or -1, "the default") is INVALID_REPLICATION_FACTOR.
#include <spdlog/spdlog.h>

#include <map>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/log_errors.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

CreateTopicsResponse handle(Broker& broker, CreateTopicsRequest& request,
                            const RequestContext& ctx) {
  CreateTopicsResponse response;
  for (const auto& topic : request.topics) {
    CreateTopicsResponse::Topic out;
    out.name = topic.name;
    auto fail = [&](ErrorCode e, std::string message) {
      out.error_code = code(e);
      out.error_message = std::move(message);
    };
    int32_t partitions = topic.num_partitions;
    if (!topic.assignments.empty()) partitions = int32_t(topic.assignments.size());
    if (partitions == -1) partitions = broker.config().default_partitions;
    std::map<std::string, std::string> overrides;
    for (const auto& c : topic.configs)
      if (c.value) overrides[c.name] = *c.value;

    if (topic.replication_factor != -1 && topic.replication_factor != 1 &&
        topic.assignments.empty()) {
      fail(ErrorCode::kInvalidReplicationFactor,
           "replication factor " + std::to_string(topic.replication_factor) +
               " is larger than the number of brokers (1)");
    } else if (partitions <= 0) {
      fail(ErrorCode::kInvalidPartitions, "the number of partitions must be at least 1");
    } else {
      for (const auto& a : topic.assignments)
        for (int32_t b : a.broker_ids)
          if (b != broker.config().node_id)
            fail(ErrorCode::kInvalidReplicaAssignment, "unknown broker id " + std::to_string(b));
    }
    if (out.error_code == 0) {
      auto status = request.validate_only
                        ? broker.logs().validate_new_topic(topic.name, partitions, overrides)
                        : broker.logs().create_topic(topic.name, partitions, overrides);
      if (!status.ok()) {
        fail(to_kafka_error(status), status.message);
      } else if (!request.validate_only) {
        spdlog::info("created topic '{}' with {} partition(s) for {}", topic.name, partitions,
                     ctx.peer);
      }
    }
    response.topics.push_back(std::move(out));
  }
  return response;
}

DeleteTopicsResponse handle(Broker& broker, DeleteTopicsRequest& request,
                            const RequestContext& ctx) {
  DeleteTopicsResponse response;
  for (const auto& name : request.topic_names) {
    auto status = broker.logs().delete_topic(name);
    if (status.ok()) {
      spdlog::info("deleted topic '{}' for {}", name, ctx.peer);
      broker.groups().on_topic_deleted(name);
    }
    response.responses.push_back({name, code(to_kafka_error(status))});
  }
  return response;
}

CreatePartitionsResponse handle(Broker& broker, CreatePartitionsRequest& request,
                                const RequestContext& ctx) {
  CreatePartitionsResponse response;
  for (const auto& topic : request.topics) {
    CreatePartitionsResponse::Result out;
    out.name = topic.name;
    int32_t current = broker.logs().partition_count(topic.name);
    if (current == 0) {
      out.error_code = code(ErrorCode::kUnknownTopicOrPartition);
    } else if (topic.count <= current) {
      out.error_code = code(ErrorCode::kInvalidPartitions);
      out.error_message = "topic '" + topic.name + "' already has " + std::to_string(current) +
                          " partitions; the new count must be larger";
    } else if (!request.validate_only) {
      auto status = broker.logs().add_partitions(topic.name, topic.count);
      out.error_code = code(to_kafka_error(status));
      if (!status.ok()) out.error_message = status.message;
      else spdlog::info("topic '{}' now has {} partitions ({})", topic.name, topic.count, ctx.peer);
    }
    response.results.push_back(std::move(out));
  }
  return response;
}

}  // namespace sluice::broker
