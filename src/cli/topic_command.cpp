// `sluice topic create|list|describe|delete|alter`: topic administration against any Kafka
// cluster, through librdkafka's Admin API (kafka/client/admin_client.h). Broker-side
// errors (topic exists, unknown topic, invalid config) are reported per topic and make the
// command exit 1.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/connection_flags.h"
#include "kafka/client/admin_client.h"
#include "kafka/client/config.h"
#include "kafka/client/console_log.h"

namespace sluice::cli {

namespace {

using kafka::client::AdminClient;
using kafka::client::ConnectionOptions;
using kafka::client::Error;

struct TopicOptions {
  ConnectionOptions connection;
  std::vector<std::string> names;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  std::vector<std::string> configs;
  std::vector<std::string> delete_configs;
  int32_t new_partitions = 0;
  bool if_not_exists = false;
  bool if_exists = false;
  bool all_configs = false;
};

std::vector<std::pair<std::string, std::string>> parse_configs(const std::vector<std::string>& in) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : in) out.push_back(kafka::client::parse_assignment(c));
  return out;
}

// A sentence for one topic's failure, in the words a user of kafka-topics would expect.
std::string explain(const std::string& action, const std::string& topic, const Error& e) {
  switch (e.code) {
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return "topic '" + topic + "' already exists";
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return "topic '" + topic + "' does not exist";
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
      return "invalid config for topic '" + topic + "': " +
             (e.message.empty() ? std::string(rd_kafka_err2str(e.code)) : e.message);
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
      return "invalid partition count for topic '" + topic + "': " + e.describe();
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
      return "invalid replication factor for topic '" + topic + "': " + e.describe();
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return "invalid topic name '" + topic + "': " + e.describe();
    default:
      return "cannot " + action + " topic '" + topic + "': " + e.describe();
  }
}

// Throws one error listing every failure, if there were any.
void fail_if_any(const std::vector<std::string>& failures) {
  if (failures.empty()) return;
  std::string all;
  for (const auto& f : failures) all += (all.empty() ? "" : "; ") + f;
  throw std::runtime_error(all);
}

AdminClient connect(const TopicOptions& o) {
  kafka::client::log_to_stderr();
  return AdminClient(o.connection.make_config(), o.connection.timeout());
}

void run_create(const TopicOptions& o) {
  auto admin = connect(o);
  std::vector<kafka::client::NewTopic> topics;
  for (const auto& name : o.names) {
    topics.push_back({name, o.partitions, o.replication_factor, parse_configs(o.configs)});
  }
  std::vector<std::string> failures;
  for (const auto& r : admin.create_topics(topics)) {
    if (!r.error) {
      std::printf("created topic %s\n", r.topic.c_str());
    } else if (r.error.code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && o.if_not_exists) {
      std::printf("topic %s already exists\n", r.topic.c_str());
    } else {
      failures.push_back(explain("create", r.topic, r.error));
    }
  }
  fail_if_any(failures);
}

void run_delete(const TopicOptions& o) {
  auto admin = connect(o);
  std::vector<std::string> failures;
  for (const auto& r : admin.delete_topics(o.names)) {
    if (!r.error) {
      std::printf("deleted topic %s\n", r.topic.c_str());
    } else if (r.error.code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && o.if_exists) {
      std::printf("topic %s does not exist\n", r.topic.c_str());
    } else {
      failures.push_back(explain("delete", r.topic, r.error));
    }
  }
  fail_if_any(failures);
}

void run_list(const TopicOptions& o) {
  auto admin = connect(o);
  const auto md = admin.handle().metadata("", o.connection.timeout());
  for (const auto& t : md.topics) std::printf("%s\n", t.name.c_str());
}

std::string join_ids(const std::vector<int32_t>& ids) {
  std::string s;
  for (auto id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

void describe_one(AdminClient& admin, const TopicOptions& o, const std::string& name,
                  std::vector<std::string>& failures) {
  const auto md = admin.handle().metadata(name, o.connection.timeout());
  const auto* t = md.find(name);
  if (t == nullptr || t->error) {
    failures.push_back(explain("describe", name,
                               t ? t->error : Error{RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, {}}));
    return;
  }
  const size_t rf = t->partitions.empty() ? 0 : t->partitions.front().replicas.size();
  std::printf("Topic: %s\tPartitionCount: %zu\tReplicationFactor: %zu\n", name.c_str(),
              t->partitions.size(), rf);
  kafka::client::TopicConfigs configs;
  try {
    configs = admin.describe_topic_configs(name);
  } catch (const kafka::client::ClientError& e) {  // e.g. a broker without DescribeConfigs
    configs.error = {e.code(), e.code() == RD_KAFKA_RESP_ERR__TIMED_OUT
                                   ? "the broker did not answer DescribeConfigs"
                                   : e.what()};
  }
  if (configs.error) {
    std::printf("\tConfigs: (unavailable: %s)\n", configs.error.describe().c_str());
  } else {
    std::string line;
    for (const auto& c : configs.entries) {
      const bool override = c.source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG;
      if (!o.all_configs && !override) continue;
      line += (line.empty() ? "" : ",") + c.name + "=" +
              (c.is_sensitive ? "<sensitive>" : c.is_null ? "null" : c.value);
    }
    std::printf("\tConfigs: %s\n", line.c_str());
  }
  for (const auto& p : t->partitions) {
    std::string offsets;
    try {
      const auto w = admin.handle().watermarks(name, p.id, o.connection.timeout());
      offsets = std::to_string(w.low) + ".." + std::to_string(w.high) + " (" +
                std::to_string(w.high - w.low) + " records)";
    } catch (const std::exception& e) {
      offsets = std::string("unavailable: ") + e.what();
    }
    std::printf("\tPartition: %d\tLeader: %d\tReplicas: %s\tIsr: %s\tOffsets: %s%s\n", p.id,
                p.leader, join_ids(p.replicas).c_str(), join_ids(p.isrs).c_str(), offsets.c_str(),
                p.error ? ("\tError: " + p.error.describe()).c_str() : "");
  }
}

void run_describe(const TopicOptions& o) {
  auto admin = connect(o);
  std::vector<std::string> failures;
  for (const auto& name : o.names) describe_one(admin, o, name, failures);
  fail_if_any(failures);
}

void run_alter(const TopicOptions& o) {
  if (o.configs.empty() && o.delete_configs.empty() && o.new_partitions == 0) {
    throw CLI::ValidationError("topic alter", "give --config, --delete-config or --partitions");
  }
  auto admin = connect(o);
  std::vector<std::string> failures;
  for (const auto& name : o.names) {
    if (o.new_partitions > 0) {
      const auto r = admin.create_partitions(name, o.new_partitions);
      if (r.error) {
        failures.push_back(explain("add partitions to", name, r.error));
        continue;
      }
      std::printf("topic %s now has %d partitions\n", name.c_str(), o.new_partitions);
    }
    if (o.configs.empty() && o.delete_configs.empty()) continue;
    const auto err = admin.alter_topic_configs(name, parse_configs(o.configs), o.delete_configs);
    if (err) {
      failures.push_back(explain("alter", name, err));
      continue;
    }
    std::printf("altered topic %s\n", name.c_str());
  }
  fail_if_any(failures);
}

}  // namespace

void add_topic_command(CLI::App& app) {
  auto o = std::make_shared<TopicOptions>();
  auto* topic = app.add_subcommand("topic", "Create, list, describe, alter and delete topics");
  topic->require_subcommand(1);
  topic->fallthrough();
  add_connection_options(*topic, o->connection);

  auto* create = topic->add_subcommand("create", "Create topics");
  create->add_option("name", o->names, "topic name(s)")->required();
  create->add_option("-p,--partitions", o->partitions, "number of partitions")
      ->capture_default_str();
  create->add_option("-r,--replication-factor", o->replication_factor, "replicas per partition")
      ->capture_default_str();
  create->add_option("-c,--config", o->configs, "topic config key=value (repeatable)")
      ->allow_extra_args(false);
  create->add_flag("--if-not-exists", o->if_not_exists, "succeed if the topic exists");
  create->callback([o] { run_create(*o); });

  auto* list = topic->add_subcommand("list", "List topics");
  list->callback([o] { run_list(*o); });

  auto* describe = topic->add_subcommand("describe", "Partitions, leaders, offsets and configs");
  describe->add_option("name", o->names, "topic name(s)")->required();
  describe->add_flag("--all-configs", o->all_configs, "show every config, not only overrides");
  describe->callback([o] { run_describe(*o); });

  auto* del = topic->add_subcommand("delete", "Delete topics");
  del->add_option("name", o->names, "topic name(s)")->required();
  del->add_flag("--if-exists", o->if_exists, "succeed if the topic does not exist");
  del->callback([o] { run_delete(*o); });

  auto* alter = topic->add_subcommand("alter", "Change a topic's configs or partition count");
  alter->add_option("name", o->names, "topic name(s)")->required();
  alter->add_option("-c,--config", o->configs, "set config key=value (repeatable)")
      ->allow_extra_args(false);
  alter->add_option("--delete-config", o->delete_configs, "remove a config override")
      ->allow_extra_args(false);
  alter->add_option("-p,--partitions", o->new_partitions, "grow to this many partitions");
  alter->callback([o] { run_alter(*o); });
}

}  // namespace sluice::cli
