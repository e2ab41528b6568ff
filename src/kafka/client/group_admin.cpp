#include "kafka/client/group_admin.h"

#include <algorithm>
#include <map>
#include <memory>

#include "kafka/client/admin_request.h"
#include "kafka/client/topic_partition_list.h"

namespace sluice::kafka::client {

namespace {

Error to_error(const rd_kafka_error_t* e) {
  if (e == nullptr) return {};
  Error out{rd_kafka_error_code(e), {}};
  if (const char* s = rd_kafka_error_string(e)) out.message = s;
  return out;
}

std::vector<TopicPartition> to_partitions(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (list == nullptr) return out;
  for (int i = 0; i < list->cnt; ++i)
    out.push_back({list->elems[i].topic, list->elems[i].partition});
  std::sort(out.begin(), out.end());
  return out;
}

// The one group result of a ListConsumerGroupOffsets or AlterConsumerGroupOffsets answer.
GroupOffsets group_offsets(const rd_kafka_group_result_t* const* results, size_t n) {
  GroupOffsets out;
  if (n == 0) {
    out.error = {RD_KAFKA_RESP_ERR__BAD_MSG, "empty response"};
    return out;
  }
  out.error = to_error(rd_kafka_group_result_error(results[0]));
  const auto* list = rd_kafka_group_result_partitions(results[0]);
  for (int i = 0; list != nullptr && i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    PartitionOffset p;
    p.tp = {e.topic, e.partition};
    p.offset = e.offset < 0 ? -1 : e.offset;
    if (e.metadata != nullptr && e.metadata_size > 0) {
      p.metadata.assign(static_cast<const char*>(e.metadata), e.metadata_size);
    }
    p.error.code = e.err;
    out.offsets.push_back(std::move(p));
  }
  std::sort(out.offsets.begin(), out.offsets.end(),
            [](const auto& a, const auto& b) { return a.tp < b.tp; });
  return out;
}

GroupDescription description(const rd_kafka_ConsumerGroupDescription_t* d) {
  GroupDescription out;
  out.group_id = rd_kafka_ConsumerGroupDescription_group_id(d);
  out.error = to_error(rd_kafka_ConsumerGroupDescription_error(d));
  out.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
  if (const char* a = rd_kafka_ConsumerGroupDescription_partition_assignor(d)) {
    out.partition_assignor = a;
  }
  out.is_simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) != 0;
  if (const auto* node = rd_kafka_ConsumerGroupDescription_coordinator(d)) {
    out.coordinator.id = rd_kafka_Node_id(node);
    if (const char* h = rd_kafka_Node_host(node)) out.coordinator.host = h;
    out.coordinator.port = rd_kafka_Node_port(node);
  }
  auto str = [](const char* s) { return s ? std::string(s) : std::string(); };
  const size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
  for (size_t i = 0; i < members; ++i) {
    const auto* m = rd_kafka_ConsumerGroupDescription_member(d, i);
    GroupMember gm;
    gm.member_id = str(rd_kafka_MemberDescription_consumer_id(m));
    gm.group_instance_id = str(rd_kafka_MemberDescription_group_instance_id(m));
    gm.client_id = str(rd_kafka_MemberDescription_client_id(m));
    gm.host = str(rd_kafka_MemberDescription_host(m));
    if (const auto* a = rd_kafka_MemberDescription_assignment(m)) {
      gm.assignment = to_partitions(rd_kafka_MemberAssignment_partitions(a));
    }
    out.members.push_back(std::move(gm));
  }
  std::sort(out.members.begin(), out.members.end(),
            [](const auto& a, const auto& b) { return a.member_id < b.member_id; });
  return out;
}

}  // namespace

namespace {

// Looking a topic up (reset-offsets --topic) must not create it.
Config without_auto_create(Config config) {
  config.set_default("allow.auto.create.topics", "false");
  return config;
}

}  // namespace

GroupAdmin::GroupAdmin(Config config, std::chrono::milliseconds timeout)
    : handle_(without_auto_create(std::move(config)), Handle::Role::producer), timeout_(timeout) {}

GroupListings GroupAdmin::list_groups() {
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, "ListGroups");
  rd_kafka_ListConsumerGroups(handle_.get(), req.options(), req.queue());
  auto ev = req.wait();
  const auto* result = rd_kafka_event_ListConsumerGroups_result(ev.get());
  GroupListings out;
  size_t n = 0;
  const auto* valid = rd_kafka_ListConsumerGroups_result_valid(result, &n);
  for (size_t i = 0; i < n; ++i) {
    out.groups.push_back(
        {rd_kafka_ConsumerGroupListing_group_id(valid[i]),
         rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(valid[i])),
         rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0});
  }
  std::sort(out.groups.begin(), out.groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  size_t nerr = 0;
  const auto* errors = rd_kafka_ListConsumerGroups_result_errors(result, &nerr);
  for (size_t i = 0; i < nerr; ++i) {
    auto e = to_error(errors[i]);
    if (e.code == RD_KAFKA_RESP_ERR__TIMED_OUT || e.code == RD_KAFKA_RESP_ERR__TRANSPORT) {
      throw ClientError(handle_.timeout_message("ListGroups", timeout_), e.code);
    }
    out.errors.push_back(std::move(e));
  }
  std::vector<std::string> unknown;
  for (const auto& g : out.groups) {
    if (g.state == rd_kafka_consumer_group_state_name(RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN)) {
      unknown.push_back(g.group_id);
    }
  }
  if (!unknown.empty()) {
    const auto described = describe_groups(unknown);
    for (auto& g : out.groups) {
      for (const auto& d : described) {
        if (d.group_id == g.group_id && !d.error) g.state = d.state;
      }
    }
  }
  return out;
}

GroupDescription GroupAdmin::describe_group(const std::string& group) {
  return describe_groups({group}).front();
}

std::vector<GroupDescription> GroupAdmin::describe_groups(const std::vector<std::string>& groups) {
  if (groups.empty()) return {};
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, "DescribeGroups");
  std::vector<const char*> names;
  for (const auto& g : groups) names.push_back(g.c_str());
  rd_kafka_DescribeConsumerGroups(handle_.get(), names.data(), names.size(), req.options(),
                                  req.queue());
  auto ev = req.wait();
  size_t n = 0;
  const auto* results = rd_kafka_DescribeConsumerGroups_result_groups(
      rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &n);
  std::map<std::string, GroupDescription> by_id;
  for (size_t i = 0; i < n; ++i) {
    auto d = description(results[i]);
    by_id[d.group_id] = std::move(d);
  }
  std::vector<GroupDescription> out;
  for (const auto& g : groups) {
    if (auto it = by_id.find(g); it != by_id.end()) {
      out.push_back(it->second);
    } else {
      GroupDescription missing;
      missing.group_id = g;
      missing.error = {RD_KAFKA_RESP_ERR__BAD_MSG, "no answer for this group in DescribeGroups"};
      out.push_back(std::move(missing));
    }
  }
  return out;
}

GroupOffsets GroupAdmin::committed_offsets(const std::string& group,
                                           const std::vector<TopicPartition>& partitions) {
  TopicPartitionList list;
  if (!partitions.empty()) {
    list = make_topic_partition_list(static_cast<int>(partitions.size()));
    for (const auto& tp : partitions) {
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    }
  }
  auto* request = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), list.get());
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, "OffsetFetch");
  rd_kafka_ListConsumerGroupOffsets(handle_.get(), &request, 1, req.options(), req.queue());
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  auto ev = req.wait();
  size_t n = 0;
  const auto* results = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(ev.get()), &n);
  return group_offsets(results, n);
}

GroupOffsets GroupAdmin::alter_offsets(const std::string& group,
                                       const std::vector<PartitionOffset>& offsets) {
  auto list = make_topic_partition_list(static_cast<int>(offsets.size()));
  for (const auto& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.tp.topic.c_str(), o.tp.partition)->offset =
        o.offset;
  }
  auto* request = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, "OffsetCommit");
  rd_kafka_AlterConsumerGroupOffsets(handle_.get(), &request, 1, req.options(),
                                     req.queue());
  rd_kafka_AlterConsumerGroupOffsets_destroy(request);
  auto ev = req.wait();
  size_t n = 0;
  const auto* results = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(ev.get()), &n);
  return group_offsets(results, n);
}

Error GroupAdmin::delete_group(const std::string& group) {
  auto* del = rd_kafka_DeleteGroup_new(group.c_str());
  AdminRequest req(handle_, timeout_, RD_KAFKA_ADMIN_OP_DELETEGROUPS, "DeleteGroups");
  rd_kafka_DeleteGroups(handle_.get(), &del, 1, req.options(), req.queue());
  rd_kafka_DeleteGroup_destroy(del);
  auto ev = req.wait();
  size_t n = 0;
  const auto* results =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev.get()), &n);
  if (n == 0) return {RD_KAFKA_RESP_ERR__BAD_MSG, "empty DeleteGroups response"};
  return to_error(rd_kafka_group_result_error(results[0]));
}

std::vector<int64_t> GroupAdmin::offsets_for_times(const std::string& topic,
                                                   const std::vector<int32_t>& partitions,
                                                   int64_t timestamp_ms) {
  return handle_.offsets_for_times(topic, partitions, timestamp_ms, timeout_);
}

}  // namespace sluice::kafka::client
