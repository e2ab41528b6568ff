// `sluice groups list|describe|reset-offsets|delete`: consumer-group administration as
// kafka-consumer-groups does it, against any Kafka cluster, through librdkafka's Admin API
// (kafka/client/group_admin.h). Any failure (unknown group, active members, a partition
// the broker refused) is reported on stderr and makes the command exit 1.
//
// Output (a contract: tests and other programs read it):
//   list      GROUP STATE PROTOCOL-TYPE, one group a line after a header; --json: one
//             object {"group","state","protocol_type"} a line.
//   describe  a header (group, state, protocol, coordinator), the members (MEMBER-ID
//             CLIENT-ID HOST ASSIGNMENT), then GROUP TOPIC PARTITION CURRENT-OFFSET
//             LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID per partition ("-" for none);
//             --json: one object per group a line, see describe_json().
//   reset-offsets  GROUP TOPIC PARTITION NEW-OFFSET per partition; --json: one object
//             {"group","topic","partition","offset"} a line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/connection_flags.h"
#include "kafka/client/config.h"
#include "kafka/client/console_log.h"
#include "kafka/client/group_admin.h"
#include "kafka/client/offset_reset.h"

namespace sluice::cli {

namespace {

using kafka::client::ConnectionOptions;
using kafka::client::Error;
using kafka::client::GroupAdmin;
using kafka::client::GroupDescription;
using kafka::client::OffsetReset;
using kafka::client::PartitionOffset;
using kafka::client::TopicPartition;
using Json = nlohmann::ordered_json;

struct GroupsOptions {
  ConnectionOptions connection;
  std::vector<std::string> groups;
  bool json = false;
  // reset-offsets
  std::vector<std::string> topics;  // "T" or "T:0,1,2"
  bool all_topics = false;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<std::string> to_datetime;
  std::optional<int64_t> to_timestamp;
  std::optional<int64_t> to_offset;
  std::optional<int64_t> shift_by;
  bool dry_run = false;
  bool execute = false;
};

GroupAdmin connect(const GroupsOptions& o) {
  kafka::client::log_to_stderr();
  return GroupAdmin(o.connection.make_config(), o.connection.timeout());
}

// Columns padded to their widest cell, separated by two spaces.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const {
    std::vector<size_t> width;
    for (const auto& r : rows_) {
      width.resize(std::max(width.size(), r.size()));
      for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    for (const auto& r : rows_) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
      }
      std::printf("%s\n", line.c_str());
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}
std::string offset_text(int64_t v) {
  return v < 0 ? "-" : std::to_string(v);
}
Json offset_json(int64_t v) {
  return v < 0 ? Json(nullptr) : Json(v);
}

// A sentence for a group-level failure, in the words a user of kafka-consumer-groups
// would expect.
std::string explain(const std::string& action, const std::string& group, const Error& e) {
  switch (e.code) {
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      return "consumer group '" + group + "' does not exist";
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
      return "cannot " + action + " consumer group '" + group +
             "': it has active members (NON_EMPTY_GROUP); stop its consumers first";
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
      return "cannot " + action + " consumer group '" + group +
             "': its coordinator is not available (" + e.describe() + "); try again";
    default:
      return "cannot " + action + " consumer group '" + group + "': " + e.describe();
  }
}

void fail_if_any(const std::vector<std::string>& failures) {
  if (failures.empty()) return;
  std::string all;
  for (const auto& f : failures) all += (all.empty() ? "" : "; ") + f;
  throw std::runtime_error(all);
}

// --- list ---------------------------------------------------------------------------

void run_list(const GroupsOptions& o) {
  auto admin = connect(o);
  const auto listings = admin.list_groups();
  if (o.json) {
    for (const auto& g : listings.groups) {
      std::printf(
          "%s\n",
          Json{{"group", g.group_id}, {"state", g.state}, {"protocol_type", g.protocol_type()}}
              .dump()
              .c_str());
    }
  } else {
    Table t({"GROUP", "STATE", "PROTOCOL-TYPE"});
    for (const auto& g : listings.groups) t.add({g.group_id, g.state, or_dash(g.protocol_type())});
    t.print();
  }
  std::vector<std::string> failures;
  for (const auto& e : listings.errors)
    failures.push_back("a broker could not list its groups: " + e.describe());
  fail_if_any(failures);
}

// --- describe -----------------------------------------------------------------------

struct PartitionRow {
  TopicPartition tp;
  int64_t committed = -1;
  int64_t log_end = -1;
  const kafka::client::GroupMember* owner = nullptr;
};

// The partitions of a group: those with a committed offset and those assigned to a member.
std::vector<PartitionRow> partition_rows(GroupAdmin& admin, const GroupDescription& d,
                                         const std::vector<PartitionOffset>& committed) {
  std::map<TopicPartition, PartitionRow> rows;
  for (const auto& c : committed) {
    auto& r = rows[c.tp];
    r.tp = c.tp;
    r.committed = c.offset;
  }
  for (const auto& m : d.members) {
    for (const auto& tp : m.assignment) {
      auto& r = rows[tp];
      r.tp = tp;
      r.owner = &m;
    }
  }
  std::vector<PartitionRow> out;
  for (auto& [tp, r] : rows) {
    try {
      r.log_end = admin.handle().watermarks(tp.topic, tp.partition, admin.timeout()).high;
    } catch (const kafka::client::ClientError& e) {
      std::fprintf(stderr, "warning: no log end offset for %s[%d]: %s\n", tp.topic.c_str(),
                   tp.partition, e.what());
    }
    out.push_back(r);
  }
  return out;
}

std::string assignment_text(const std::vector<TopicPartition>& assignment) {
  std::string out;
  std::string topic;
  for (const auto& tp : assignment) {
    if (tp.topic != topic || out.empty()) {
      out += (out.empty() ? "" : " ") + tp.topic + ":" + std::to_string(tp.partition);
      topic = tp.topic;
    } else {
      out += "," + std::to_string(tp.partition);
    }
  }
  return out;
}

// {"group","state","protocol_type","assignor","coordinator":{"id","host","port"},
//  "members":[{"member_id","group_instance_id","client_id","host",
//              "assignment":[{"topic","partition"}]}],
//  "partitions":[{"topic","partition","committed_offset","log_end_offset","lag",
//                 "member_id","client_id","host"}]}  (null where there is none)
Json describe_json(const GroupDescription& d, const std::vector<PartitionRow>& rows) {
  Json members = Json::array();
  for (const auto& m : d.members) {
    Json assignment = Json::array();
    for (const auto& tp : m.assignment) {
      assignment.push_back({{"topic", tp.topic}, {"partition", tp.partition}});
    }
    members.push_back({{"member_id", m.member_id},
                       {"group_instance_id",
                        m.group_instance_id.empty() ? Json(nullptr) : Json(m.group_instance_id)},
                       {"client_id", m.client_id},
                       {"host", m.host},
                       {"assignment", assignment}});
  }
  Json partitions = Json::array();
  for (const auto& r : rows) {
    const bool lag_known = r.committed >= 0 && r.log_end >= 0;
    partitions.push_back({{"topic", r.tp.topic},
                          {"partition", r.tp.partition},
                          {"committed_offset", offset_json(r.committed)},
                          {"log_end_offset", offset_json(r.log_end)},
                          {"lag", lag_known ? Json(r.log_end - r.committed) : Json(nullptr)},
                          {"member_id", r.owner ? Json(r.owner->member_id) : Json(nullptr)},
                          {"client_id", r.owner ? Json(r.owner->client_id) : Json(nullptr)},
                          {"host", r.owner ? Json(r.owner->host) : Json(nullptr)}});
  }
  return {{"group", d.group_id},
          {"state", d.state},
          {"protocol_type", d.is_simple ? "" : "consumer"},
          {"assignor", d.partition_assignor},
          {"coordinator",
           {{"id", d.coordinator.id}, {"host", d.coordinator.host}, {"port", d.coordinator.port}}},
          {"members", members},
          {"partitions", partitions}};
}

void print_describe_text(const GroupDescription& d, const std::vector<PartitionRow>& rows) {
  std::printf("Group: %s\n", d.group_id.c_str());
  std::printf("State: %s\n", d.state.c_str());
  std::printf(
      "Protocol: %s%s\n", d.is_simple ? "-" : "consumer",
      d.partition_assignor.empty() ? "" : (" (assignor " + d.partition_assignor + ")").c_str());
  std::printf("Coordinator: %d (%s:%d)\n", d.coordinator.id, d.coordinator.host.c_str(),
              d.coordinator.port);
  std::printf("Members: %zu\n", d.members.size());
  if (!d.members.empty()) {
    std::printf("\n");
    Table members({"MEMBER-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"});
    for (const auto& m : d.members) {
      members.add({m.member_id, or_dash(m.client_id), or_dash(m.host),
                   or_dash(assignment_text(m.assignment))});
    }
    members.print();
  }
  std::printf("\n");
  Table t({"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID",
           "HOST", "CLIENT-ID"});
  for (const auto& r : rows) {
    const bool lag_known = r.committed >= 0 && r.log_end >= 0;
    t.add({d.group_id, r.tp.topic, std::to_string(r.tp.partition), offset_text(r.committed),
           offset_text(r.log_end), lag_known ? std::to_string(r.log_end - r.committed) : "-",
           r.owner ? r.owner->member_id : "-", r.owner ? or_dash(r.owner->host) : "-",
           r.owner ? or_dash(r.owner->client_id) : "-"});
  }
  t.print();
}

void describe_one(GroupAdmin& admin, const GroupsOptions& o, const std::string& group,
                  std::vector<std::string>& failures) {
  const auto d = admin.describe_group(group);
  if (d.error) {
    failures.push_back(explain("describe", group, d.error));
    return;
  }
  // Every committed offset, and those of the assigned partitions by name: brokers before
  // Kafka 2.4 answer "every partition" as librdkafka 2.0 asks it with nothing.
  std::vector<TopicPartition> assigned;
  for (const auto& m : d.members) {
    assigned.insert(assigned.end(), m.assignment.begin(), m.assignment.end());
  }
  std::map<TopicPartition, PartitionOffset> found;
  auto read = [&](const std::vector<TopicPartition>& partitions) {
    const auto committed = admin.committed_offsets(group, partitions);
    if (committed.error && committed.error.code != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
      failures.push_back("cannot read the committed offsets of consumer group '" + group +
                         "': " + committed.error.describe());
      return false;
    }
    for (const auto& c : committed.offsets) {
      if (c.error) {
        failures.push_back("cannot read the committed offset of " + c.tp.topic + "[" +
                           std::to_string(c.tp.partition) + "] for consumer group '" + group +
                           "': " + c.error.describe());
      } else if (c.offset >= 0) {
        found[c.tp] = c;
      }
    }
    return true;
  };
  if (!read({})) return;
  if (!assigned.empty() && !read(assigned)) return;
  std::vector<PartitionOffset> offsets;
  for (const auto& [tp, c] : found) offsets.push_back(c);
  if (d.state == "Dead" && d.members.empty() && offsets.empty()) {
    failures.push_back("consumer group '" + group + "' does not exist");
    return;
  }
  const auto rows = partition_rows(admin, d, offsets);
  if (o.json) {
    std::printf("%s\n", describe_json(d, rows).dump().c_str());
  } else {
    print_describe_text(d, rows);
  }
}

void run_describe(const GroupsOptions& o) {
  auto admin = connect(o);
  std::vector<std::string> failures;
  bool first = true;
  for (const auto& g : o.groups) {
    if (!first && !o.json) std::printf("\n");
    first = false;
    describe_one(admin, o, g, failures);
  }
  fail_if_any(failures);
}

// --- reset-offsets ------------------------------------------------------------------

OffsetReset reset_mode(const GroupsOptions& o) {
  std::vector<OffsetReset> modes;
  if (o.to_earliest) modes.push_back({OffsetReset::Mode::earliest, 0});
  if (o.to_latest) modes.push_back({OffsetReset::Mode::latest, 0});
  if (o.to_offset) modes.push_back({OffsetReset::Mode::offset, *o.to_offset});
  if (o.to_timestamp) modes.push_back({OffsetReset::Mode::timestamp, *o.to_timestamp});
  if (o.to_datetime) {
    try {
      modes.push_back(
          {OffsetReset::Mode::timestamp, kafka::client::parse_datetime_ms(*o.to_datetime)});
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--to-datetime", e.what());
    }
  }
  if (o.shift_by) modes.push_back({OffsetReset::Mode::shift_by, *o.shift_by});
  if (modes.size() != 1) {
    throw CLI::ValidationError("groups reset-offsets",
                               "give exactly one of --to-earliest, --to-latest, --to-offset, "
                               "--to-timestamp, --to-datetime, --shift-by");
  }
  return modes.front();
}

// The partitions named by --topic T / T:0,1 / --all-topics.
std::vector<TopicPartition> reset_partitions(GroupAdmin& admin, const GroupsOptions& o,
                                             const std::vector<PartitionOffset>& committed) {
  std::set<TopicPartition> out;
  if (o.all_topics) {
    for (const auto& c : committed) out.insert(c.tp);
    if (out.empty()) {
      throw std::runtime_error("consumer group '" + o.groups.front() +
                               "' has no committed offsets; name the topics with --topic");
    }
  }
  for (const auto& spec : o.topics) {
    const auto colon = spec.find(':');
    const std::string topic = spec.substr(0, colon);
    const auto md = admin.handle().metadata(topic, o.connection.timeout());
    const auto* t = md.find(topic);
    if (t == nullptr || t->error || t->partitions.empty()) {
      throw std::runtime_error("topic '" + topic + "' does not exist" +
                               (t && t->error ? " (" + t->error.describe() + ")" : ""));
    }
    if (colon == std::string::npos) {
      for (const auto& p : t->partitions) out.insert({topic, p.id});
      continue;
    }
    std::string rest = spec.substr(colon + 1);
    size_t pos = 0;
    while (pos <= rest.size()) {
      const auto comma = std::min(rest.find(',', pos), rest.size());
      const std::string item = rest.substr(pos, comma - pos);
      int32_t p = -1;
      try {
        size_t used = 0;
        p = std::stoi(item, &used);
        if (used != item.size()) p = -1;
      } catch (const std::exception&) {
        p = -1;
      }
      if (p < 0) {
        throw CLI::ValidationError("--topic",
                                   "expected TOPIC or TOPIC:P,P,... , got '" + spec + "'");
      }
      if (p >= static_cast<int32_t>(t->partitions.size())) {
        throw std::runtime_error("topic '" + topic + "' has no partition " + std::to_string(p) +
                                 " (it has " + std::to_string(t->partitions.size()) + ")");
      }
      out.insert({topic, p});
      pos = comma + 1;
    }
  }
  return {out.begin(), out.end()};
}

void run_reset(const GroupsOptions& o) {
  if (o.topics.empty() && !o.all_topics) {
    throw CLI::ValidationError("groups reset-offsets",
                               "give --topic TOPIC[:P,...] or --all-topics");
  }
  if (o.dry_run && o.execute) {
    throw CLI::ValidationError("groups reset-offsets",
                               "--dry-run and --execute exclude each other");
  }
  const auto reset = reset_mode(o);
  const std::string& group = o.groups.front();
  auto admin = connect(o);

  // Kafka resets only groups without members: a live consumer would overwrite the new
  // offsets with its next commit.
  const auto d = admin.describe_group(group);
  if (d.error && d.error.code != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
    throw std::runtime_error(explain("reset offsets of", group, d.error));
  }
  if (!d.error && ((d.state != "Empty" && d.state != "Dead") || !d.members.empty())) {
    throw std::runtime_error("cannot reset offsets of consumer group '" + group + "': it is " +
                             d.state + " with " + std::to_string(d.members.size()) +
                             " active member(s); offsets can only be reset while the group is "
                             "inactive (stop its consumers first)");
  }
  auto read_committed = [&](const std::vector<TopicPartition>& partitions) {
    auto committed = admin.committed_offsets(group, partitions);
    if (committed.error && committed.error.code != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
      throw std::runtime_error("cannot read the committed offsets of consumer group '" + group +
                               "': " + committed.error.describe());
    }
    return committed;
  };
  const auto partitions = reset_partitions(
      admin, o, o.all_topics ? read_committed({}).offsets : std::vector<PartitionOffset>{});
  const auto committed = read_committed(partitions);

  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const auto& tp : partitions) by_topic[tp.topic].push_back(tp.partition);
  std::map<TopicPartition, int64_t> by_time;
  if (reset.mode == OffsetReset::Mode::timestamp) {
    for (const auto& [topic, ps] : by_topic) {
      const auto offsets = admin.offsets_for_times(topic, ps, reset.value);
      for (size_t i = 0; i < ps.size(); ++i) by_time[{topic, ps[i]}] = offsets[i];
    }
  }

  std::vector<PartitionOffset> targets;
  for (const auto& tp : partitions) {
    kafka::client::PartitionPosition pos;
    for (const auto& c : committed.offsets) {
      if (c.tp == tp) pos.committed = c.offset;
    }
    pos.watermarks = admin.handle().watermarks(tp.topic, tp.partition, o.connection.timeout());
    if (auto it = by_time.find(tp); it != by_time.end()) pos.offset_for_time = it->second;
    kafka::client::ResetTarget target;
    try {
      target = kafka::client::reset_target(reset, pos);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("cannot shift " + tp.topic + "[" + std::to_string(tp.partition) +
                               "] of consumer group '" + group + "': " + e.what());
    }
    if (target.clamped) {
      std::fprintf(
          stderr, "warning: %s[%d]: the offset asked for is outside %lld..%lld; using %lld\n",
          tp.topic.c_str(), tp.partition, static_cast<long long>(pos.watermarks.low),
          static_cast<long long>(pos.watermarks.high), static_cast<long long>(target.offset));
    }
    targets.push_back({tp, target.offset, {}, {}});
  }

  if (!o.dry_run) {
    const auto result = admin.alter_offsets(group, targets);
    std::vector<std::string> failures;
    if (result.error) failures.push_back(explain("reset offsets of", group, result.error));
    for (const auto& r : result.offsets) {
      if (r.error) {
        failures.push_back("cannot commit " + r.tp.topic + "[" + std::to_string(r.tp.partition) +
                           "] for consumer group '" + group + "': " + r.error.describe());
      }
    }
    fail_if_any(failures);
  }

  if (o.json) {
    for (const auto& t : targets) {
      std::printf("%s\n", Json{{"group", group},
                               {"topic", t.tp.topic},
                               {"partition", t.tp.partition},
                               {"offset", t.offset}}
                              .dump()
                              .c_str());
    }
  } else {
    Table t({"GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"});
    for (const auto& x : targets) {
      t.add({group, x.tp.topic, std::to_string(x.tp.partition), std::to_string(x.offset)});
    }
    t.print();
  }
  if (o.dry_run) std::fprintf(stderr, "dry run: the committed offsets were not changed\n");
}

// --- delete -------------------------------------------------------------------------

void run_delete(const GroupsOptions& o) {
  auto admin = connect(o);
  std::vector<std::string> failures;
  for (const auto& g : o.groups) {
    const auto err = admin.delete_group(g);
    if (err) {
      failures.push_back(explain("delete", g, err));
    } else {
      std::printf("deleted consumer group %s\n", g.c_str());
    }
  }
  fail_if_any(failures);
}

}  // namespace

void add_groups_command(CLI::App& app) {
  auto o = std::make_shared<GroupsOptions>();
  auto* groups = app.add_subcommand(
      "groups", "List, describe, reset the offsets of and delete consumer groups");
  groups->require_subcommand(1);
  groups->fallthrough();
  add_connection_options(*groups, o->connection);

  auto* list = groups->add_subcommand("list", "Every group: id, state, protocol type");
  list->add_flag("--json", o->json, "one JSON object per group");
  list->callback([o] { run_list(*o); });

  auto* describe = groups->add_subcommand(
      "describe", "State, coordinator, members and per-partition committed offset, log end, lag");
  describe->add_option("group", o->groups, "group id(s)")->required();
  describe->add_flag("--json", o->json, "one JSON object per group");
  describe->callback([o] { run_describe(*o); });

  auto* reset = groups->add_subcommand(
      "reset-offsets", "Set an inactive group's committed offsets (commits unless --dry-run)");
  reset->add_option("group", o->groups, "group id")->required()->expected(1);
  reset->add_option("--topic", o->topics, "TOPIC or TOPIC:P,P,... (repeatable)")
      ->allow_extra_args(false);
  reset->add_flag("--all-topics", o->all_topics, "every partition the group committed");
  reset->add_flag("--to-earliest", o->to_earliest, "the first offset still in the log");
  reset->add_flag("--to-latest", o->to_latest, "the log end offset");
  reset->add_option("--to-offset", o->to_offset, "this offset (moved into the log's range)");
  reset->add_option("--to-timestamp", o->to_timestamp,
                    "the first record at or after this time (ms since the epoch)");
  reset->add_option("--to-datetime", o->to_datetime,
                    "the first record at or after YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM]");
  reset->add_option("--shift-by", o->shift_by, "the committed offset plus N (N may be < 0)");
  reset->add_flag("--dry-run", o->dry_run, "print the new offsets without committing them");
  reset->add_flag("--execute", o->execute, "commit them (the default)");
  reset->add_flag("--json", o->json, "one JSON object per partition");
  reset->callback([o] { run_reset(*o); });

  auto* del = groups->add_subcommand("delete", "Delete groups without members and their offsets");
  del->add_option("group", o->groups, "group id(s)")->required();
  del->callback([o] { run_delete(*o); });
}

}  // namespace sluice::cli
