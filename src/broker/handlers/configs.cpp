// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for topics (the log's
// retention, segment and size settings) and, read-only, for the broker.
#include <spdlog/spdlog.h>

#include <map>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/log_errors.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

namespace {

bool wanted(const DescribeConfigsRequest::Resource& r, const std::string& key) {
  if (!r.configuration_keys || r.configuration_keys->empty()) return true;
  for (const auto& k : *r.configuration_keys)
    if (k == key) return true;
  return false;
}

DescribeConfigsResponse::Config describe_entry(const std::string& name, const std::string& value,
                                               bool overridden, bool read_only,
                                               int16_t version) {
  DescribeConfigsResponse::Config c;
  c.name = name;
  c.value = value;
  c.read_only = read_only;
  c.is_default = !overridden;
  c.config_source = overridden ? kConfigSourceTopic : kConfigSourceDefault;
  return c;
}

std::vector<std::pair<std::string, std::string>> broker_configs(Broker& broker) {
  const auto& cfg = broker.config();
  return {
      {"broker.id", std::to_string(cfg.node_id)},
      {"num.partitions", std::to_string(cfg.default_partitions)},
      {"auto.create.topics.enable", cfg.auto_create_topics ? "true" : "false"},
      {"socket.request.max.bytes", std::to_string(cfg.max_request_bytes)},
      {"log.dirs", cfg.data_dir.string()},
  };
}

}  // namespace

DescribeConfigsResponse handle(Broker& broker, DescribeConfigsRequest& request,
                               const RequestContext& ctx) {
  DescribeConfigsResponse response;
  for (const auto& resource : request.resources) {
    DescribeConfigsResponse::Result out;
    out.resource_type = resource.resource_type;
    out.resource_name = resource.resource_name;
    if (resource.resource_type == kResourceTopic) {
      auto described = broker.logs().describe_config(resource.resource_name);
      if (!described) {
        out.error_code = code(ErrorCode::kUnknownTopicOrPartition);
        out.error_message = "no topic '" + resource.resource_name + "'";
      } else {
        for (const auto& entry : *described)
          if (wanted(resource, entry.name))
            out.configs.push_back(
                describe_entry(entry.name, entry.value, entry.overridden, false, ctx.version()));
      }
    } else if (resource.resource_type == kResourceBroker) {
      for (const auto& [name, value] : broker_configs(broker))
        if (wanted(resource, name)) {
          auto c = describe_entry(name, value, false, true, ctx.version());
          c.config_source = kConfigSourceStaticBroker;
          out.configs.push_back(std::move(c));
        }
    } else {
      out.error_code = code(ErrorCode::kInvalidRequest);
      out.error_message = "resource type " + std::to_string(resource.resource_type) +
                          " has no configs here (topics are 2, brokers 4)";
    }
    response.results.push_back(std::move(out));
  }
  return response;
}

namespace {

AlterConfigsResponse::Result alter_topic(Broker& broker, int8_t type, const std::string& name,
                                         const std::map<std::string, std::string>& overrides,
                                         bool validate_only, const RequestContext& ctx) {
  AlterConfigsResponse::Result out;
  out.resource_type = type;
  out.resource_name = name;
  if (type != kResourceTopic) {
    out.error_code = code(ErrorCode::kInvalidRequest);
    out.error_message = "only topic configs can be altered on this broker";
    return out;
  }
  auto status = validate_only ? broker.logs().validate_overrides(overrides)
                              : broker.logs().set_topic_overrides(name, overrides);
  out.error_code = code(to_kafka_error(status));
  if (!status.ok())
    out.error_message = status.message;
  else if (!validate_only)
    spdlog::info("topic '{}' configs altered by {}", name, ctx.peer);
  return out;
}

}  // namespace

AlterConfigsResponse handle(Broker& broker, AlterConfigsRequest& request,
                            const RequestContext& ctx) {
  AlterConfigsResponse response;
  for (const auto& resource : request.resources) {
    std::map<std::string, std::string> overrides;  // AlterConfigs replaces them all
    for (const auto& c : resource.configs)
      if (c.value) overrides[c.name] = *c.value;
    response.responses.push_back(alter_topic(broker, resource.resource_type,
                                             resource.resource_name, overrides,
                                             request.validate_only, ctx));
  }
  return response;
}

AlterConfigsResponse handle(Broker& broker, IncrementalAlterConfigsRequest& request,
                            const RequestContext& ctx) {
  AlterConfigsResponse response;
  for (const auto& resource : request.resources) {
    std::map<std::string, std::string> overrides;
    if (resource.resource_type == kResourceTopic)
      if (auto current = broker.logs().topic_overrides(resource.resource_name))
        overrides = *current;
    std::string bad_op;
    for (const auto& c : resource.configs) {
      if (c.config_operation == kConfigOpSet && c.value)
        overrides[c.name] = *c.value;
      else if (c.config_operation == kConfigOpDelete)
        overrides.erase(c.name);
      else
        bad_op = c.name;  // APPEND/SUBTRACT apply to list configs, which we have none of
    }
    if (!bad_op.empty()) {
      AlterConfigsResponse::Result out;
      out.resource_type = resource.resource_type;
      out.resource_name = resource.resource_name;
      out.error_code = code(ErrorCode::kInvalidConfig);
      out.error_message = "operation not supported for config '" + bad_op + "'";
      response.responses.push_back(std::move(out));
      continue;
    }
    response.responses.push_back(alter_topic(broker, resource.resource_type,
                                             resource.resource_name, overrides,
                                             request.validate_only, ctx));
  }
  return response;
}

}  // namespace sluice::broker
