#include "broker/group/consumer_group.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "kafka/protocol/wire.h"

namespace sluice::broker::group {

using kafka::ErrorCode;

std::string_view state_name(GroupState state) {
  switch (state) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Unknown";
}

namespace {

/// A random (version 4) UUID in its usual text form, as Kafka appends to member ids.
std::string random_uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", uint32_t(hi >> 32),
                     uint32_t((hi >> 16) & 0xFFFF), uint32_t(hi & 0xFFFF), uint32_t(lo >> 48),
                     lo & 0xFFFFFFFFFFFFULL);
}

}  // namespace

const std::string* ConsumerGroup::Member::metadata_for(std::string_view protocol) const {
  for (const auto& p : protocols)
    if (p.name == protocol) return &p.metadata;
  return nullptr;
}

ConsumerGroup::ConsumerGroup(std::string group_id, const GroupConfig& config)
    : group_id_(std::move(group_id)), config_(config) {}

std::string ConsumerGroup::new_member_id(std::string_view prefix) const {
  return std::string(prefix) + "-" + random_uuid();
}

bool ConsumerGroup::has_member(std::string_view member_id) const {
  return members_.find(member_id) != members_.end();
}

bool ConsumerGroup::supports_protocols(const std::string& type,
                                       const std::vector<Protocol>& protocols) const {
  if (members_.empty()) return !type.empty() && !protocols.empty();
  if (type != protocol_type_) return false;
  for (const auto& p : protocols) {
    bool all = std::all_of(members_.begin(), members_.end(),
                           [&](const auto& m) { return m.second.metadata_for(p.name); });
    if (all) return true;
  }
  return false;
}

std::string ConsumerGroup::select_protocol() const {
  if (members_.empty()) return {};
  // Candidates: protocols every member supports, in the first member's order; each member
  // votes for its most preferred candidate; the most votes win (ties: candidate order).
  std::vector<std::string> candidates;
  for (const auto& p : members_.begin()->second.protocols) {
    bool all = std::all_of(members_.begin(), members_.end(),
                           [&](const auto& m) { return m.second.metadata_for(p.name); });
    if (all) candidates.push_back(p.name);
  }
  if (candidates.empty()) return {};
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_)
    for (const auto& p : m.protocols)
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
  std::string best = candidates.front();
  for (const auto& c : candidates)
    if (votes[c] > votes[best]) best = c;
  return best;
}

bool ConsumerGroup::is_fenced(const std::string& member_id,
                              const std::optional<std::string>& instance) const {
  if (!instance) return false;
  auto it = static_ids_.find(*instance);
  return it != static_ids_.end() && it->second != member_id;
}

bool ConsumerGroup::all_members_joined() const {
  return pending_.empty() && std::all_of(members_.begin(), members_.end(), [](const auto& m) {
           return bool(m.second.awaiting_join);
         });
}

int32_t ConsumerGroup::rebalance_timeout_ms() const {
  int32_t t = 0;
  for (const auto& [id, m] : members_) t = std::max(t, m.rebalance_timeout_ms);
  return t;
}

JoinResult ConsumerGroup::current_generation_result(const Member& member,
                                                    bool with_members) const {
  JoinResult r;
  r.generation_id = generation_id_;
  r.protocol_name = protocol_name_;
  r.leader_id = leader_id_;
  r.member_id = member.id;
  if (with_members)
    for (const auto& [id, m] : members_) {
      const std::string* md = m.metadata_for(protocol_name_);
      r.members.push_back({id, m.instance_id, md ? *md : std::string()});
    }
  return r;
}

// ---- JoinGroup ------------------------------------------------------------------------

void ConsumerGroup::join(JoinParams params, int64_t now_ms, JoinCallback done) {
  auto fail = [&](ErrorCode e, std::string member_id) {
    JoinResult r;
    r.error = e;
    r.member_id = std::move(member_id);
    done(std::move(r));
  };
  if (state_ == GroupState::kDead) return fail(ErrorCode::kCoordinatorNotAvailable, params.member_id);
  if (!supports_protocols(params.protocol_type, params.protocols))
    return fail(ErrorCode::kInconsistentGroupProtocol, params.member_id);

  if (params.member_id.empty()) {
    if (members_.size() + pending_.size() >= size_t(config_.max_size))
      return fail(ErrorCode::kGroupMaxSizeReached, "");
    if (params.group_instance_id) {
      if (static_ids_.count(*params.group_instance_id)) {
        replace_static_member(params, now_ms, std::move(done));
      } else {
        std::string id = new_member_id(*params.group_instance_id);
        add_member_and_rebalance(std::move(id), params, now_ms, std::move(done));
      }
    } else if (params.require_known_member_id) {
      // The member must come back with this id (so that a client whose JoinGroup response
      // is lost does not leave a ghost member behind for a whole session timeout).
      std::string id = new_member_id(params.client_id);
      pending_[id] = now_ms + params.session_timeout_ms;
      return fail(ErrorCode::kMemberIdRequired, id);
    } else {
      std::string id = new_member_id(params.client_id);
      add_member_and_rebalance(std::move(id), params, now_ms, std::move(done));
    }
  } else if (auto p = pending_.find(params.member_id); p != pending_.end()) {
    pending_.erase(p);
    std::string id = params.member_id;
    add_member_and_rebalance(std::move(id), params, now_ms, std::move(done));
  } else {
    if (is_fenced(params.member_id, params.group_instance_id))
      return fail(ErrorCode::kFencedInstanceId, params.member_id);
    auto it = members_.find(params.member_id);
    if (it == members_.end()) return fail(ErrorCode::kUnknownMemberId, params.member_id);
    Member& member = it->second;
    switch (state_) {
      case GroupState::kPreparingRebalance:
        update_member_and_rebalance(member, params, now_ms, std::move(done));
        break;
      case GroupState::kCompletingRebalance:
        if (member.protocols == params.protocols) {
          // The member lost our JoinGroup response: send it again.
          done(current_generation_result(member, member.id == leader_id_));
        } else {
          update_member_and_rebalance(member, params, now_ms, std::move(done));
        }
        break;
      case GroupState::kStable:
        if (member.id == leader_id_ || member.protocols != params.protocols) {
          // The leader rejoining asks for a new assignment (e.g. its metadata changed).
          update_member_and_rebalance(member, params, now_ms, std::move(done));
        } else {
          member.session_deadline_ms = now_ms + member.session_timeout_ms;
          done(current_generation_result(member, false));
        }
        break;
      case GroupState::kEmpty:
      case GroupState::kDead:
        return fail(ErrorCode::kUnknownMemberId, params.member_id);
    }
  }
  if (state_ == GroupState::kPreparingRebalance) try_complete_join(now_ms);
}

void ConsumerGroup::add_member_and_rebalance(std::string member_id, JoinParams& params,
                                             int64_t now_ms, JoinCallback done) {
  Member m;
  m.id = member_id;
  m.instance_id = params.group_instance_id;
  m.client_id = std::move(params.client_id);
  m.client_host = std::move(params.client_host);
  m.session_timeout_ms = params.session_timeout_ms;
  m.rebalance_timeout_ms = params.rebalance_timeout_ms;
  m.protocols = std::move(params.protocols);
  m.awaiting_join = std::move(done);
  m.session_deadline_ms = now_ms + m.session_timeout_ms;
  if (members_.empty()) protocol_type_ = params.protocol_type;
  if (leader_id_.empty()) leader_id_ = member_id;
  if (m.instance_id) static_ids_[*m.instance_id] = member_id;
  members_.emplace(member_id, std::move(m));
  if (state_ == GroupState::kPreparingRebalance && generation_id_ == 0) new_member_added_ = true;
  spdlog::info("group '{}': member {} joins ({} member(s))", group_id_, member_id,
               members_.size());
  maybe_prepare_rebalance(now_ms, "a member joined");
}

void ConsumerGroup::update_member_and_rebalance(Member& member, JoinParams& params,
                                                int64_t now_ms, JoinCallback done) {
  if (member.awaiting_join) {
    // A newer JoinGroup of the same member (its client gave up on the first one).
    JoinResult superseded;
    superseded.error = ErrorCode::kRebalanceInProgress;
    superseded.member_id = member.id;
    std::exchange(member.awaiting_join, nullptr)(std::move(superseded));
  }
  member.protocols = std::move(params.protocols);
  member.session_timeout_ms = params.session_timeout_ms;
  member.rebalance_timeout_ms = params.rebalance_timeout_ms;
  member.client_id = std::move(params.client_id);
  member.client_host = std::move(params.client_host);
  member.awaiting_join = std::move(done);
  maybe_prepare_rebalance(now_ms, "a member rejoined");
}

void ConsumerGroup::replace_static_member(JoinParams& params, int64_t now_ms, JoinCallback done) {
  const std::string instance = *params.group_instance_id;
  const std::string old_id = static_ids_[instance];
  const std::string new_id = new_member_id(instance);
  const std::string old_leader = leader_id_;
  auto node = members_.extract(old_id);
  Member& member = node.mapped();
  // The old incarnation of the instance is fenced: answer what it still waits for.
  if (member.awaiting_join) {
    JoinResult fenced;
    fenced.error = ErrorCode::kFencedInstanceId;
    fenced.member_id = old_id;
    std::exchange(member.awaiting_join, nullptr)(std::move(fenced));
  }
  if (member.awaiting_sync)
    std::exchange(member.awaiting_sync, nullptr)({ErrorCode::kFencedInstanceId, {}});
  const bool protocols_unchanged = member.protocols == params.protocols;
  member.id = new_id;
  member.protocols = std::move(params.protocols);
  member.session_timeout_ms = params.session_timeout_ms;
  member.rebalance_timeout_ms = params.rebalance_timeout_ms;
  member.client_id = std::move(params.client_id);
  member.client_host = std::move(params.client_host);
  member.session_deadline_ms = now_ms + member.session_timeout_ms;
  node.key() = new_id;
  members_.insert(std::move(node));
  static_ids_[instance] = new_id;
  if (leader_id_ == old_id) leader_id_ = new_id;
  Member& m = members_.at(new_id);
  spdlog::info("group '{}': static member {} rejoins as {} (was {})", group_id_, instance, new_id,
               old_id);

  switch (state_) {
    case GroupState::kStable:
      if (protocols_unchanged && select_protocol() == protocol_name_) {
        // No rebalance: the member keeps its assignment (SyncGroup returns it). The old
        // leader id is returned so that a rejoining leader does not compute an assignment
        // that a Stable group would never hand out.
        JoinResult r = current_generation_result(m, false);
        r.leader_id = old_leader;
        done(std::move(r));
      } else {
        m.awaiting_join = std::move(done);
        prepare_rebalance(now_ms, "a static member rejoined with other protocols");
      }
      break;
    case GroupState::kCompletingRebalance:
      // The leader may be assigning under the old member id: assign again.
      m.awaiting_join = std::move(done);
      prepare_rebalance(now_ms, "a static member rejoined during the sync phase");
      break;
    default:  // PreparingRebalance: it simply waits with the others
      m.awaiting_join = std::move(done);
      break;
  }
}

// ---- Rebalance ------------------------------------------------------------------------

void ConsumerGroup::maybe_prepare_rebalance(int64_t now_ms, std::string_view reason) {
  if (state_ == GroupState::kStable || state_ == GroupState::kCompletingRebalance ||
      state_ == GroupState::kEmpty)
    prepare_rebalance(now_ms, reason);
}

void ConsumerGroup::prepare_rebalance(int64_t now_ms, std::string_view reason) {
  if (state_ == GroupState::kCompletingRebalance) {
    // The assignment being computed is stale: members waiting for it must rejoin.
    for (auto& [id, m] : members_) {
      m.assignment.clear();
      if (m.awaiting_sync)
        std::exchange(m.awaiting_sync, nullptr)({ErrorCode::kRebalanceInProgress, {}});
    }
  }
  const int32_t timeout = rebalance_timeout_ms();
  if (state_ == GroupState::kEmpty) {
    const int32_t delay = config_.initial_rebalance_delay_ms;
    initial_join_ = true;
    new_member_added_ = false;
    initial_remaining_ms_ = std::max<int64_t>(int64_t(timeout) - delay, 0);
    join_deadline_ms_ = now_ms + delay;
  } else {
    initial_join_ = false;
    join_deadline_ms_ = now_ms + timeout;
  }
  spdlog::info("group '{}': rebalancing generation {} ({}; waiting up to {} ms for {} member(s))",
               group_id_, generation_id_, reason, timeout, members_.size());
  state_ = GroupState::kPreparingRebalance;
}

void ConsumerGroup::try_complete_join(int64_t now_ms) {
  if (state_ != GroupState::kPreparingRebalance) return;
  if (initial_join_) {
    if (now_ms >= join_deadline_ms_) on_join_deadline(now_ms);
    return;  // an initial join ends only when its delay does
  }
  if (all_members_joined()) complete_join(now_ms);
}

void ConsumerGroup::complete_join(int64_t now_ms) {
  // Members that did not rejoin in time are dropped.
  std::vector<std::string> missing;
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join) missing.push_back(id);
  for (const auto& id : missing) {
    spdlog::info("group '{}': member {} did not rejoin within the rebalance timeout; removed",
                 group_id_, id);
    remove_member(id, ErrorCode::kUnknownMemberId);
  }
  join_deadline_ms_ = -1;
  initial_join_ = false;
  ++generation_id_;
  if (members_.empty()) {
    protocol_name_.clear();
    state_ = GroupState::kEmpty;
    spdlog::info("group '{}': generation {} is empty", group_id_, generation_id_);
    return;
  }
  protocol_name_ = select_protocol();
  state_ = GroupState::kCompletingRebalance;
  spdlog::info("group '{}': generation {} with {} member(s), protocol {}, leader {}", group_id_,
               generation_id_, members_.size(), protocol_name_, leader_id_);
  // Collect the answers first: callbacks run only once the group is consistent.
  std::vector<std::pair<JoinCallback, JoinResult>> answers;
  for (auto& [id, m] : members_) {
    m.session_deadline_ms = now_ms + m.session_timeout_ms;
    answers.emplace_back(std::exchange(m.awaiting_join, nullptr),
                         current_generation_result(m, id == leader_id_));
  }
  for (auto& [cb, result] : answers) cb(std::move(result));
}

void ConsumerGroup::remove_member(const std::string& member_id, ErrorCode answer) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  Member m = std::move(it->second);
  members_.erase(it);
  if (m.instance_id) {
    auto s = static_ids_.find(*m.instance_id);
    if (s != static_ids_.end() && s->second == member_id) static_ids_.erase(s);
  }
  if (leader_id_ == member_id) leader_id_ = members_.empty() ? "" : members_.begin()->first;
  if (m.awaiting_join) {
    JoinResult r;
    r.error = answer;
    r.member_id = member_id;
    m.awaiting_join(std::move(r));
  }
  if (m.awaiting_sync) m.awaiting_sync({answer, {}});
}

void ConsumerGroup::remove_member_and_update(const std::string& member_id, int64_t now_ms,
                                             std::string_view reason) {
  remove_member(member_id, ErrorCode::kUnknownMemberId);
  spdlog::info("group '{}': member {} removed ({}), {} left", group_id_, member_id, reason,
               members_.size());
  switch (state_) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      prepare_rebalance(now_ms, reason);
      try_complete_join(now_ms);  // e.g. the last member left: Empty at once
      break;
    case GroupState::kPreparingRebalance:
      try_complete_join(now_ms);
      break;
    default:
      break;
  }
}

// ---- SyncGroup, Heartbeat, LeaveGroup, commits ----------------------------------------

void ConsumerGroup::sync(const std::string& member_id,
                         const std::optional<std::string>& group_instance_id,
                         int32_t generation_id, std::map<std::string, std::string> assignments,
                         int64_t now_ms, SyncCallback done) {
  if (state_ == GroupState::kDead) return done({ErrorCode::kCoordinatorNotAvailable, {}});
  if (is_fenced(member_id, group_instance_id)) return done({ErrorCode::kFencedInstanceId, {}});
  auto it = members_.find(member_id);
  if (it == members_.end()) return done({ErrorCode::kUnknownMemberId, {}});
  if (generation_id != generation_id_) return done({ErrorCode::kIllegalGeneration, {}});
  Member& member = it->second;
  switch (state_) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return done({ErrorCode::kUnknownMemberId, {}});
    case GroupState::kPreparingRebalance:
      return done({ErrorCode::kRebalanceInProgress, {}});
    case GroupState::kStable:
      member.session_deadline_ms = now_ms + member.session_timeout_ms;
      return done({ErrorCode::kNone, member.assignment});
    case GroupState::kCompletingRebalance:
      break;
  }
  if (member.awaiting_sync)
    std::exchange(member.awaiting_sync, nullptr)({ErrorCode::kRebalanceInProgress, {}});
  member.awaiting_sync = std::move(done);
  if (member_id != leader_id_) return;  // followers wait for the leader's assignment

  for (auto& [id, m] : members_) {
    auto a = assignments.find(id);
    m.assignment = a == assignments.end() ? std::string() : std::move(a->second);
  }
  for (const auto& [id, bytes] : assignments)
    if (!members_.count(id))
      spdlog::warn("group '{}': the leader assigned to {}, which is not a member", group_id_, id);
  state_ = GroupState::kStable;
  spdlog::info("group '{}': generation {} is stable", group_id_, generation_id_);
  std::vector<std::pair<SyncCallback, SyncResult>> answers;
  for (auto& [id, m] : members_) {
    m.session_deadline_ms = now_ms + m.session_timeout_ms;
    if (m.awaiting_sync)
      answers.emplace_back(std::exchange(m.awaiting_sync, nullptr),
                           SyncResult{ErrorCode::kNone, m.assignment});
  }
  for (auto& [cb, result] : answers) cb(std::move(result));
}

ErrorCode ConsumerGroup::heartbeat(const std::string& member_id,
                                   const std::optional<std::string>& group_instance_id,
                                   int32_t generation_id, int64_t now_ms) {
  if (state_ == GroupState::kDead) return ErrorCode::kCoordinatorNotAvailable;
  if (is_fenced(member_id, group_instance_id)) return ErrorCode::kFencedInstanceId;
  auto it = members_.find(member_id);
  if (it == members_.end()) return ErrorCode::kUnknownMemberId;
  if (generation_id != generation_id_) return ErrorCode::kIllegalGeneration;
  Member& member = it->second;
  switch (state_) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return ErrorCode::kUnknownMemberId;
    case GroupState::kPreparingRebalance:
      member.session_deadline_ms = now_ms + member.session_timeout_ms;
      return ErrorCode::kRebalanceInProgress;
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      member.session_deadline_ms = now_ms + member.session_timeout_ms;
      return ErrorCode::kNone;
  }
  return ErrorCode::kNone;
}

ErrorCode ConsumerGroup::leave(const std::string& member_id,
                               const std::optional<std::string>& group_instance_id,
                               int64_t now_ms) {
  if (state_ == GroupState::kDead) return ErrorCode::kCoordinatorNotAvailable;
  if (!member_id.empty() && is_fenced(member_id, group_instance_id))
    return ErrorCode::kFencedInstanceId;
  if (auto p = pending_.find(member_id); p != pending_.end()) {
    pending_.erase(p);
    try_complete_join(now_ms);
    return ErrorCode::kNone;
  }
  std::string id = member_id;
  if (id.empty() && group_instance_id) {
    auto s = static_ids_.find(*group_instance_id);
    if (s != static_ids_.end()) id = s->second;
  }
  if (!members_.count(id)) return ErrorCode::kUnknownMemberId;
  remove_member_and_update(id, now_ms, "the member left");
  return ErrorCode::kNone;
}

ErrorCode ConsumerGroup::validate_commit(const std::string& member_id,
                                         const std::optional<std::string>& group_instance_id,
                                         int32_t generation_id, int64_t now_ms) {
  if (state_ == GroupState::kDead) return ErrorCode::kCoordinatorNotAvailable;
  if (is_fenced(member_id, group_instance_id)) return ErrorCode::kFencedInstanceId;
  if (generation_id < 0 && state_ == GroupState::kEmpty) return ErrorCode::kNone;
  auto it = members_.find(member_id);
  if (it == members_.end()) return ErrorCode::kUnknownMemberId;
  if (generation_id != generation_id_) return ErrorCode::kIllegalGeneration;
  if (state_ == GroupState::kCompletingRebalance) return ErrorCode::kRebalanceInProgress;
  // Stable, or PreparingRebalance (the heartbeat will tell the member to rejoin).
  it->second.session_deadline_ms = now_ms + it->second.session_timeout_ms;
  return ErrorCode::kNone;
}

// ---- Time -----------------------------------------------------------------------------

void ConsumerGroup::expire(int64_t now_ms) {
  if (state_ == GroupState::kDead) return;
  bool pending_dropped = false;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second <= now_ms) {
      spdlog::info("group '{}': member id {} was not used within the session timeout",
                   group_id_, it->first);
      it = pending_.erase(it);
      pending_dropped = true;
    } else {
      ++it;
    }
  }
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join && !m.awaiting_sync && m.session_deadline_ms <= now_ms)
      expired.push_back(id);
  for (const auto& id : expired)
    if (members_.count(id)) remove_member_and_update(id, now_ms, "session timeout expired");

  if (state_ == GroupState::kPreparingRebalance && join_deadline_ms_ <= now_ms)
    on_join_deadline(now_ms);
  else if (pending_dropped)
    try_complete_join(now_ms);
}

void ConsumerGroup::on_join_deadline(int64_t now_ms) {
  if (initial_join_ && new_member_added_ && initial_remaining_ms_ > 0) {
    // Kafka's InitialDelayedJoin: another member came; wait one more delay for others.
    new_member_added_ = false;
    int64_t delay = std::min<int64_t>(config_.initial_rebalance_delay_ms, initial_remaining_ms_);
    initial_remaining_ms_ -= delay;
    join_deadline_ms_ = now_ms + delay;
    if (delay > 0) return;
  }
  complete_join(now_ms);
}

std::optional<int64_t> ConsumerGroup::next_deadline() const {
  std::optional<int64_t> next;
  auto consider = [&](int64_t t) {
    if (!next || t < *next) next = t;
  };
  if (state_ == GroupState::kDead) return next;
  for (const auto& [id, t] : pending_) consider(t);
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join && !m.awaiting_sync) consider(m.session_deadline_ms);
  if (state_ == GroupState::kPreparingRebalance) consider(join_deadline_ms_);
  return next;
}

// ---- Description ----------------------------------------------------------------------

GroupSummary ConsumerGroup::summary() const {
  GroupSummary s;
  s.state = state_;
  s.protocol_type = protocol_type_;
  s.generation_id = generation_id_;
  s.leader_id = leader_id_;
  const bool stable = state_ == GroupState::kStable;
  if (stable) s.protocol_name = protocol_name_;
  for (const auto& [id, m] : members_) {
    MemberSummary ms{id, m.instance_id, m.client_id, m.client_host, {}, {}};
    if (stable) {
      if (const std::string* md = m.metadata_for(protocol_name_)) ms.metadata = *md;
      ms.assignment = m.assignment;
    }
    s.members.push_back(std::move(ms));
  }
  return s;
}

std::optional<std::set<std::string>> ConsumerGroup::subscribed_topics() const {
  if (protocol_type_ != "consumer") return std::nullopt;
  if (members_.empty()) return std::set<std::string>{};
  std::string protocol = protocol_name_.empty() ? select_protocol() : protocol_name_;
  std::set<std::string> topics;
  try {
    for (const auto& [id, m] : members_) {
      const std::string* md = m.metadata_for(protocol);
      if (!md) return std::nullopt;
      // ConsumerProtocolSubscription: version int16, topics [string], then fields we skip.
      kafka::WireReader r(*md);
      (void)r.int16();
      int32_t n = r.int32();
      if (n < 0) return std::nullopt;
      for (int32_t i = 0; i < n; ++i) {
        auto topic = r.nullable_string(false);
        if (!topic) return std::nullopt;
        topics.emplace(*topic);
      }
    }
  } catch (const kafka::DecodeError&) {
    return std::nullopt;
  }
  return topics;
}

}  // namespace sluice::broker::group
