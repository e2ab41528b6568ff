#include "common/clock.h"
#include "broker/group/group_coordinator.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace sluice::broker::group {

using kafka::code;
using kafka::ErrorCode;

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Kafka answers a failed write of the offsets topic NOT_COORDINATOR (KAFKA_STORAGE_ERROR is
// mapped so): the client looks the coordinator up again and retries.
constexpr ErrorCode kStoreFailed = ErrorCode::kNotCoordinator;

// READ | DELETE | DESCRIBE: what a group allows without an authorizer (KIP-430).
constexpr int32_t kGroupAuthorizedOperations = (1 << 3) | (1 << 6) | (1 << 8);

kafka::JoinGroupResponse to_response(JoinResult r) {
  kafka::JoinGroupResponse out;
  out.error_code = code(r.error);
  out.generation_id = r.generation_id;
  out.protocol_name = std::move(r.protocol_name);
  out.leader = std::move(r.leader_id);
  out.member_id = std::move(r.member_id);
  for (auto& m : r.members)
    out.members.push_back({std::move(m.member_id), std::move(m.group_instance_id),
                           kafka::Bytes{std::move(m.metadata)}});
  return out;
}

}  // namespace

GroupCoordinator::GroupCoordinator(GroupConfig config, std::unique_ptr<OffsetStore> offsets,
                                   PartitionExists partition_exists, Clock clock)
    : config_(config),
      offsets_(std::move(offsets)),
      partition_exists_(std::move(partition_exists)),
      clock_(clock ? std::move(clock) : Clock(steady_ms)) {}

GroupCoordinator::~GroupCoordinator() { *alive_ = false; }

void GroupCoordinator::run_timers(asio::any_io_executor executor) {
  timer_.emplace(executor);
  armed_for_.reset();
  rearm();
}

ConsumerGroup* GroupCoordinator::find_mutable(std::string_view group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

const ConsumerGroup* GroupCoordinator::find(std::string_view group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

void GroupCoordinator::after_change(std::string_view group_id, bool force) {
  auto it = groups_.find(group_id);
  auto since = empty_since_.find(group_id);
  if (it != groups_.end()) {
    ConsumerGroup& g = *it->second;
    const bool unused =
        g.state() == GroupState::kEmpty && g.idle() && !offsets_->has_group(group_id);
    if (g.state() == GroupState::kDead) {
      groups_.erase(it);
    } else if (!unused) {
      if (since != empty_since_.end()) empty_since_.erase(since);
    } else if (force || (since != empty_since_.end() &&
                         now() - since->second >= config_.empty_group_retention_ms)) {
      spdlog::info("group '{}': forgotten (empty, no committed offsets)", group_id);
      groups_.erase(it);
    } else if (since == empty_since_.end()) {
      empty_since_.emplace(std::string(group_id), now());
    }
  }
  if (!groups_.count(group_id) && (since = empty_since_.find(group_id)) != empty_since_.end())
    empty_since_.erase(since);
  rearm();
}

std::optional<int64_t> GroupCoordinator::next_deadline() const {
  std::optional<int64_t> next;
  for (const auto& [id, g] : groups_)
    if (auto d = g->next_deadline(); d && (!next || *d < *next)) next = d;
  for (const auto& [id, since] : empty_since_) {
    int64_t d = since + config_.empty_group_retention_ms;
    if (!next || d < *next) next = d;
  }
  return next;
}

void GroupCoordinator::rearm() {
  if (!timer_) return;
  auto next = next_deadline();
  if (next == armed_for_) return;
  armed_for_ = next;
  if (!next) {
    timer_->cancel();
    return;
  }
  timer_->expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(*next)));
  timer_->async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (ec || !*alive) return;  // cancelled: re-armed for another time, or shutting down
    armed_for_.reset();
    expire_due();
  });
}

void GroupCoordinator::expire_due() {
  const int64_t t = now();
  std::vector<std::string> due;
  for (const auto& [id, g] : groups_)
    if (auto d = g->next_deadline(); d && *d <= t) due.push_back(id);
  for (const auto& [id, since] : empty_since_)
    if (since + config_.empty_group_retention_ms <= t) due.push_back(id);
  for (const auto& id : due) {
    if (ConsumerGroup* g = find_mutable(id)) g->expire(t);
    after_change(id);
  }
  rearm();
}

// ---- Membership -----------------------------------------------------------------------

void GroupCoordinator::join(const kafka::JoinGroupRequest& request, int16_t version,
                            const ClientInfo& client,
                            std::function<void(kafka::JoinGroupResponse)> done) {
  auto fail = [&](ErrorCode e) {
    JoinResult r;
    r.error = e;
    r.member_id = request.member_id;
    done(to_response(std::move(r)));
  };
  if (request.group_id.empty()) return fail(ErrorCode::kInvalidGroupId);
  if (request.session_timeout_ms < config_.min_session_timeout_ms ||
      request.session_timeout_ms > config_.max_session_timeout_ms)
    return fail(ErrorCode::kInvalidSessionTimeout);
  ConsumerGroup* g = find_mutable(request.group_id);
  if (!g) {
    // Only a member without an id may create a group (others were members of a group
    // that is gone: they must start over).
    if (!request.member_id.empty()) return fail(ErrorCode::kUnknownMemberId);
    auto created = std::make_unique<ConsumerGroup>(request.group_id, config_);
    g = created.get();
    groups_.emplace(request.group_id, std::move(created));
  }
  JoinParams params;
  params.member_id = request.member_id;
  params.group_instance_id = request.group_instance_id;
  params.client_id = client.client_id;
  params.client_host = client.client_host;
  params.session_timeout_ms = request.session_timeout_ms;
  params.rebalance_timeout_ms =
      version >= 1 ? request.rebalance_timeout_ms : request.session_timeout_ms;
  params.protocol_type = request.protocol_type;
  for (const auto& p : request.protocols) params.protocols.push_back({p.name, p.metadata.value});
  params.require_known_member_id = version >= 4;
  g->join(std::move(params), now(),
          [done = std::move(done)](JoinResult r) { done(to_response(std::move(r))); });
  after_change(request.group_id);
}

void GroupCoordinator::sync(const kafka::SyncGroupRequest& request,
                            std::function<void(kafka::SyncGroupResponse)> done) {
  auto answer = [done = std::move(done)](SyncResult r) {
    kafka::SyncGroupResponse out;
    out.error_code = code(r.error);
    out.assignment.value = std::move(r.assignment);
    done(std::move(out));
  };
  if (request.group_id.empty()) return answer({ErrorCode::kInvalidGroupId, {}});
  ConsumerGroup* g = find_mutable(request.group_id);
  if (!g) return answer({ErrorCode::kUnknownMemberId, {}});
  std::map<std::string, std::string> assignments;
  for (const auto& a : request.assignments) assignments[a.member_id] = a.assignment.value;
  g->sync(request.member_id, request.group_instance_id, request.generation_id,
          std::move(assignments), now(), std::move(answer));
  after_change(request.group_id);
}

kafka::HeartbeatResponse GroupCoordinator::heartbeat(const kafka::HeartbeatRequest& request) {
  kafka::HeartbeatResponse out;
  if (request.group_id.empty()) {
    out.error_code = code(ErrorCode::kInvalidGroupId);
    return out;
  }
  ConsumerGroup* g = find_mutable(request.group_id);
  ErrorCode e = g ? g->heartbeat(request.member_id, request.group_instance_id,
                                 request.generation_id, now())
                  : ErrorCode::kUnknownMemberId;
  out.error_code = code(e);
  after_change(request.group_id);
  return out;
}

kafka::LeaveGroupResponse GroupCoordinator::leave(const kafka::LeaveGroupRequest& request,
                                                  int16_t version) {
  kafka::LeaveGroupResponse out;
  std::vector<kafka::LeaveGroupRequest::Member> leaving = request.members;
  if (version < 3) leaving = {{request.member_id, std::nullopt}};
  if (request.group_id.empty()) {
    out.error_code = code(ErrorCode::kInvalidGroupId);
    return out;
  }
  ConsumerGroup* g = find_mutable(request.group_id);
  if (g && g->state() == GroupState::kDead) {
    out.error_code = code(ErrorCode::kCoordinatorNotAvailable);
    return out;
  }
  for (const auto& m : leaving) {
    ErrorCode e = g ? g->leave(m.member_id, m.group_instance_id, now())
                    : ErrorCode::kUnknownMemberId;
    out.members.push_back({m.member_id, m.group_instance_id, code(e)});
  }
  // v0-2 carry one member, whose outcome is the top-level error.
  if (version < 3 && !out.members.empty()) out.error_code = out.members.front().error_code;
  after_change(request.group_id);
  return out;
}

// ---- Offsets --------------------------------------------------------------------------

log::Status GroupCoordinator::commit_transactional_offsets(
    std::string_view group_id, const std::vector<OffsetStore::Entry>& entries) {
  log::Status s = offsets_->commit(group_id, entries);
  after_change(group_id);
  return s;
}

kafka::OffsetCommitResponse GroupCoordinator::commit_offsets(
    const kafka::OffsetCommitRequest& request, int16_t version) {
  kafka::OffsetCommitResponse out;
  const int32_t generation = version >= 1 ? request.generation_id : -1;
  const std::string member_id = version >= 1 ? request.member_id : std::string();
  ErrorCode group_error = ErrorCode::kNone;
  if (ConsumerGroup* g = find_mutable(request.group_id)) {
    group_error = g->validate_commit(member_id, request.group_instance_id, generation, now());
  } else if (generation >= 0) {
    // A member of a group without members: of an older incarnation of it (the broker
    // restarted, or it was deleted). Kafka answers UNKNOWN_MEMBER_ID when the group is
    // known (by its offsets), ILLEGAL_GENERATION when it is not.
    group_error = offsets_->has_group(request.group_id) ? ErrorCode::kUnknownMemberId
                                                        : ErrorCode::kIllegalGeneration;
  }
  const int64_t now_wall = wall_clock_ms();
  std::vector<OffsetStore::Entry> entries;
  std::vector<kafka::OffsetCommitResponse::Partition*> stored;
  for (const auto& topic : request.topics) {
    auto& t = out.topics.emplace_back();
    t.name = topic.name;
    t.partitions.reserve(topic.partitions.size());
    for (const auto& p : topic.partitions) {
      auto& r = t.partitions.emplace_back();
      r.partition_index = p.partition_index;
      ErrorCode e = group_error;
      if (!partition_exists_(topic.name, p.partition_index))
        e = ErrorCode::kUnknownTopicOrPartition;
      else if (e == ErrorCode::kNone && p.committed_metadata &&
               p.committed_metadata->size() > size_t(config_.offset_metadata_max_bytes))
        e = ErrorCode::kOffsetMetadataTooLarge;
      r.error_code = code(e);
      if (e != ErrorCode::kNone) continue;
      OffsetStore::Entry entry;
      entry.topic = topic.name;
      entry.partition = p.partition_index;
      entry.value.offset = p.committed_offset;
      entry.value.leader_epoch = version >= 6 ? p.committed_leader_epoch : -1;
      entry.value.metadata = p.committed_metadata.value_or("");
      entry.value.commit_timestamp_ms =
          version == 1 && p.commit_timestamp >= 0 ? p.commit_timestamp : now_wall;
      entries.push_back(std::move(entry));
      stored.push_back(&r);
    }
  }
  if (!entries.empty()) {
    log::Status s = offsets_->commit(request.group_id, entries);
    if (!s.ok())
      for (auto* r : stored) r->error_code = code(kStoreFailed);
  }
  after_change(request.group_id);
  return out;
}

kafka::OffsetFetchResponse GroupCoordinator::fetch_offsets(const kafka::OffsetFetchRequest& request,
                                                           int16_t version) {
  kafka::OffsetFetchResponse out;
  auto fill = [](kafka::OffsetFetchResponse::Partition& p, const CommittedOffset* c) {
    if (c) {
      p.committed_offset = c->offset;
      p.committed_leader_epoch = c->leader_epoch;
      p.metadata = c->metadata;
    } else {
      p.committed_offset = -1;
      p.committed_leader_epoch = -1;
      p.metadata = "";
    }
  };
  // v2+: a null topic list asks for every committed offset of the group. So does an empty
  // one here (Kafka answers it with nothing): librdkafka 2.0's ListConsumerGroupOffsets
  // with no partitions sends an empty array where it means null.
  if (!request.topics || (version >= 2 && request.topics->empty())) {
    if (const GroupOffsets* all = offsets_->group(request.group_id)) {
      for (const auto& [tp, c] : *all) {
        if (out.topics.empty() || out.topics.back().name != tp.first)
          out.topics.push_back({tp.first, {}});
        auto& p = out.topics.back().partitions.emplace_back();
        p.partition_index = tp.second;
        fill(p, &c);
      }
    }
    return out;
  }
  for (const auto& topic : *request.topics) {
    auto& t = out.topics.emplace_back();
    t.name = topic.name;
    for (int32_t partition : topic.partition_indexes) {
      auto& p = t.partitions.emplace_back();
      p.partition_index = partition;
      fill(p, offsets_->find(request.group_id, topic.name, partition));
    }
  }
  return out;
}

kafka::OffsetDeleteResponse GroupCoordinator::delete_offsets(
    const kafka::OffsetDeleteRequest& request) {
  kafka::OffsetDeleteResponse out;
  auto group_error = [&](ErrorCode e) {
    out.error_code = code(e);
    out.topics.clear();
    return out;
  };
  if (request.group_id.empty()) return group_error(ErrorCode::kInvalidGroupId);
  const ConsumerGroup* g = find(request.group_id);
  const bool has_offsets = offsets_->has_group(request.group_id);
  if ((!g || g->state() == GroupState::kDead) && !has_offsets)
    return group_error(ErrorCode::kGroupIdNotFound);
  std::optional<std::set<std::string>> subscribed = std::set<std::string>{};
  if (g && g->state() != GroupState::kEmpty) {
    // A live group may lose only the offsets of topics none of its members consumes.
    if (g->protocol_type() != "consumer") return group_error(ErrorCode::kNonEmptyGroup);
    subscribed = g->subscribed_topics();
  }
  std::vector<std::pair<std::string, int32_t>> eligible;
  for (const auto& topic : request.topics) {
    auto& t = out.topics.emplace_back();
    t.name = topic.name;
    t.partitions.reserve(topic.partitions.size());
    for (const auto& p : topic.partitions) {
      auto& r = t.partitions.emplace_back();
      r.partition_index = p.partition_index;
      if (!partition_exists_(topic.name, p.partition_index)) {
        r.error_code = code(ErrorCode::kUnknownTopicOrPartition);
      } else if (!subscribed || subscribed->count(topic.name)) {
        r.error_code = code(ErrorCode::kGroupSubscribedToTopic);
      } else {
        eligible.emplace_back(topic.name, p.partition_index);
      }
    }
  }
  if (!eligible.empty()) {
    log::Status s = offsets_->remove(request.group_id, eligible);
    if (!s.ok()) return group_error(kStoreFailed);
  }
  after_change(request.group_id, /*force=*/true);
  return out;
}

void GroupCoordinator::on_topic_deleted(std::string_view topic) {
  log::Status s = offsets_->remove_topic(topic);
  if (!s.ok())
    spdlog::warn("the committed offsets of deleted topic '{}' remain: {}", topic, s.message);
  std::vector<std::string> ids;
  for (const auto& [id, g] : groups_) ids.push_back(id);
  for (const auto& id : ids) after_change(id, /*force=*/true);
}

// ---- Administration -------------------------------------------------------------------

kafka::DescribeGroupsResponse GroupCoordinator::describe(
    const kafka::DescribeGroupsRequest& request) {
  kafka::DescribeGroupsResponse out;
  for (const auto& id : request.groups) {
    auto& d = out.groups.emplace_back();
    d.group_id = id;
    if (request.include_authorized_operations)
      d.authorized_operations = kGroupAuthorizedOperations;
    if (const ConsumerGroup* g = find(id)) {
      GroupSummary s = g->summary();
      d.group_state = std::string(state_name(s.state));
      d.protocol_type = s.protocol_type;
      d.protocol_data = s.protocol_name;
      for (auto& m : s.members)
        d.members.push_back({std::move(m.member_id), std::move(m.group_instance_id),
                             std::move(m.client_id), std::move(m.client_host),
                             kafka::Bytes{std::move(m.metadata)},
                             kafka::Bytes{std::move(m.assignment)}});
    } else {
      // A group known only by its offsets is Empty; an unknown one is Dead (no error).
      d.group_state = offsets_->has_group(id) ? "Empty" : "Dead";
    }
  }
  return out;
}

kafka::ListGroupsResponse GroupCoordinator::list() const {
  kafka::ListGroupsResponse out;
  std::map<std::string, std::string> all;
  for (const auto& id : offsets_->groups()) all[id] = "";
  for (const auto& [id, g] : groups_)
    if (g->state() != GroupState::kDead) all[id] = g->protocol_type();
  for (auto& [id, type] : all) out.groups.push_back({id, type});
  return out;
}

kafka::DeleteGroupsResponse GroupCoordinator::delete_groups(
    const kafka::DeleteGroupsRequest& request) {
  kafka::DeleteGroupsResponse out;
  for (const auto& id : request.groups_names) {
    auto& r = out.results.emplace_back();
    r.group_id = id;
    ConsumerGroup* g = find_mutable(id);
    const bool has_offsets = offsets_->has_group(id);
    if ((!g || g->state() == GroupState::kDead) && !has_offsets) {
      r.error_code = code(ErrorCode::kGroupIdNotFound);
      continue;
    }
    if (g && g->state() != GroupState::kEmpty) {
      r.error_code = code(ErrorCode::kNonEmptyGroup);
      continue;
    }
    if (log::Status s = offsets_->remove_group(id); !s.ok()) {
      r.error_code = code(kStoreFailed);
      continue;
    }
    if (g) g->mark_dead();
    spdlog::info("group '{}' deleted", id);
    after_change(id);
  }
  return out;
}

void GroupCoordinator::flush_if_due(int64_t wall_now_ms) {
  if (log::Status s = offsets_->flush_if_due(wall_now_ms); !s.ok())
    spdlog::error("cannot flush committed offsets: {}", s.message);
}

void GroupCoordinator::flush_if_due(int64_t wall_now_ms, log::LogFlusher& flusher) {
  flusher.sync(offsets_->take_due_flush(wall_now_ms));
}

void GroupCoordinator::flush() {
  if (log::Status s = offsets_->flush(); !s.ok())
    spdlog::error("cannot flush committed offsets: {}", s.message);
}

}  // namespace sluice::broker::group
