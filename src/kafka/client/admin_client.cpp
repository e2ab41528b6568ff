#include "kafka/client/admin_client.h"


#include <algorithm>
#include <map>
#include <memory>
#include "kafka/client/admin_request.h"

namespace sluice::kafka::client {

namespace {

Error topic_result_error(const rd_kafka_topic_result_t* r) {
  Error e{rd_kafka_topic_result_error(r), {}};
  if (const char* msg = rd_kafka_topic_result_error_string(r)) e.message = msg;
  return e;
}

std::vector<TopicOutcome> topic_outcomes(const rd_kafka_topic_result_t* const* results, size_t n) {
  std::vector<TopicOutcome> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back({rd_kafka_topic_result_name(results[i]), topic_result_error(results[i])});
  }
  return out;
}

}  // namespace

AdminClient::AdminClient(Config config, std::chrono::milliseconds timeout)
    : handle_(std::move(config), Handle::Role::producer), timeout_(timeout) {}

std::vector<TopicOutcome> AdminClient::create_topics(const std::vector<NewTopic>& topics) {
  std::vector<rd_kafka_NewTopic_t*> raw;
  auto free_all = [&] {
    for (auto* t : raw) rd_kafka_NewTopic_destroy(t);
  };
  for (const auto& t : topics) {
    char errstr[512];
    auto* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, errstr,
                                     sizeof errstr);
    if (nt == nullptr) {
      free_all();
      throw ClientError("invalid topic " + t.name + ": " + errstr, RD_KAFKA_RESP_ERR__INVALID_ARG);
    }
    raw.push_back(nt);
    for (const auto& [k, v] : t.configs) {
      if (const auto err = rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str())) {
        free_all();
        throw ClientError("invalid config " + k + "=" + v + ": " + rd_kafka_err2str(err), err);
      }
    }
  }
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_CREATETOPICS, "CreateTopics");
  rd_kafka_CreateTopics(handle_.get(), raw.data(), raw.size(), req.options(), req.queue());
  free_all();
  auto ev = req.wait();
  size_t n = 0;
  const auto* results = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(ev.get()), &n);
  return topic_outcomes(results, n);
}

std::vector<TopicOutcome> AdminClient::delete_topics(const std::vector<std::string>& topics) {
  std::vector<rd_kafka_DeleteTopic_t*> raw;
  for (const auto& t : topics) raw.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_DELETETOPICS, "DeleteTopics");
  rd_kafka_DeleteTopics(handle_.get(), raw.data(), raw.size(), req.options(), req.queue());
  rd_kafka_DeleteTopic_destroy_array(raw.data(), raw.size());
  auto ev = req.wait();
  size_t n = 0;
  const auto* results = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(ev.get()), &n);
  return topic_outcomes(results, n);
}

TopicOutcome AdminClient::create_partitions(const std::string& topic, int32_t total) {
  char errstr[512];
  auto* np = rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), errstr,
                                        sizeof errstr);
  if (np == nullptr) throw ClientError(std::string("invalid partition count: ") + errstr);
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, "CreatePartitions");
  rd_kafka_CreatePartitions(handle_.get(), &np, 1, req.options(), req.queue());
  rd_kafka_NewPartitions_destroy(np);
  auto ev = req.wait();
  size_t n = 0;
  const auto* results = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(ev.get()), &n);
  auto outcomes = topic_outcomes(results, n);
  if (outcomes.empty()) return {topic, Error{RD_KAFKA_RESP_ERR__BAD_MSG, "empty response"}};
  return outcomes.front();
}

TopicConfigs AdminClient::describe_topic_configs(const std::string& topic) {
  auto* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, "DescribeConfigs");
  rd_kafka_DescribeConfigs(handle_.get(), &res, 1, req.options(), req.queue());
  rd_kafka_ConfigResource_destroy(res);
  auto ev = req.wait();
  size_t n = 0;
  const auto* results = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
  TopicConfigs out;
  if (n == 0) {
    out.error = {RD_KAFKA_RESP_ERR__BAD_MSG, "empty DescribeConfigs response"};
    return out;
  }
  out.error.code = rd_kafka_ConfigResource_error(results[0]);
  if (const char* s = rd_kafka_ConfigResource_error_string(results[0])) out.error.message = s;
  size_t cnt = 0;
  const auto* entries = rd_kafka_ConfigResource_configs(results[0], &cnt);
  for (size_t i = 0; i < cnt; ++i) {
    const auto* e = entries[i];
    ConfigEntry c;
    c.name = rd_kafka_ConfigEntry_name(e);
    const char* v = rd_kafka_ConfigEntry_value(e);
    c.is_null = v == nullptr;
    if (v != nullptr) c.value = v;
    c.is_default = rd_kafka_ConfigEntry_is_default(e) != 0;
    c.is_read_only = rd_kafka_ConfigEntry_is_read_only(e) != 0;
    c.is_sensitive = rd_kafka_ConfigEntry_is_sensitive(e) != 0;
    c.source = rd_kafka_ConfigEntry_source(e);
    out.entries.push_back(std::move(c));
  }
  std::sort(out.entries.begin(), out.entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Error AdminClient::replace_topic_configs(
    const std::string& topic, const std::vector<std::pair<std::string, std::string>>& configs) {
  auto* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  for (const auto& [k, v] : configs) {
    if (const auto err = rd_kafka_ConfigResource_set_config(res, k.c_str(), v.c_str())) {
      rd_kafka_ConfigResource_destroy(res);
      return Error{err, "invalid config " + k + "=" + v};
    }
  }
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, "AlterConfigs");
  rd_kafka_AlterConfigs(handle_.get(), &res, 1, req.options(), req.queue());
  rd_kafka_ConfigResource_destroy(res);
  auto ev = req.wait();
  size_t n = 0;
  const auto* results = rd_kafka_AlterConfigs_result_resources(
      rd_kafka_event_AlterConfigs_result(ev.get()), &n);
  if (n == 0) return {RD_KAFKA_RESP_ERR__BAD_MSG, "empty AlterConfigs response"};
  Error e{rd_kafka_ConfigResource_error(results[0]), {}};
  if (const char* s = rd_kafka_ConfigResource_error_string(results[0])) e.message = s;
  return e;
}

Error AdminClient::alter_topic_configs(
    const std::string& topic, const std::vector<std::pair<std::string, std::string>>& set,
    const std::vector<std::string>& remove) {
  const auto current = describe_topic_configs(topic);
  if (current.error) return current.error;
  std::map<std::string, std::string> merged;
  for (const auto& e : current.entries) {
    if (e.source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG && !e.is_null &&
        !e.is_sensitive) {
      merged[e.name] = e.value;
    }
  }
  for (const auto& [k, v] : set) merged[k] = v;
  for (const auto& k : remove) merged.erase(k);
  return replace_topic_configs(topic, {merged.begin(), merged.end()});
}

}  // namespace sluice::kafka::client
