// The membership state machine of one consumer group, as Kafka's group coordinator runs
// it: members join (JoinGroup), the leader's assignment is handed out (SyncGroup),
// members heartbeat, leave or time out, and every change of membership starts a
// rebalance that waits for the known members to rejoin, up to the rebalance timeout.
// States: Empty → PreparingRebalance → CompletingRebalance → Stable (→ PreparingRebalance
// ...), Dead once deleted. Static members (group.instance.id) keep their place across a
// restart of the client; dynamic members get broker-assigned ids (MEMBER_ID_REQUIRED).
//
// Pure logic, no I/O and no clock: every call takes the current time (monotonic ms) and
// expire(now) applies the timeouts that are due; next_deadline() says when that is.
// JoinGroup and SyncGroup answer through callbacks, which the group invokes exactly once,
// possibly from a later call (the one that completes the rebalance) and always
// synchronously: a callback must not call back into the group. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/errors.h"

namespace sluice::broker::group {

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

/// Kafka's name of the state ("PreparingRebalance", ...), as DescribeGroups reports it.
std::string_view state_name(GroupState state);

/// The coordinator's settings (Kafka's group.* broker configs).
struct GroupConfig {
  int32_t min_session_timeout_ms = 6000;     // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;  // group.max.session.timeout.ms
  /// group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits
  /// for more members (extended by each new one, up to the rebalance timeout). Kafka's
  /// shipped server.properties sets 0 for a better development experience; so do we.
  int32_t initial_rebalance_delay_ms = 0;
  int32_t max_size = INT32_MAX;              // group.max.size
  int32_t offset_metadata_max_bytes = 4096;  // offset.metadata.max.bytes
  /// How long an Empty group without committed offsets stays listed (Kafka drops such
  /// groups at its next cleanup, offsets.retention.check.interval.ms = 10 min).
  int64_t empty_group_retention_ms = 600000;
};

/// One (protocol name, metadata) a member supports, in its order of preference.
struct Protocol {
  std::string name;
  std::string metadata;
  bool operator==(const Protocol&) const = default;
};

/// What a JoinGroup request says, plus who sent it.
struct JoinParams {
  std::string member_id;  // "" for a member that has none yet
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 10000;
  int32_t rebalance_timeout_ms = 10000;
  std::string protocol_type;
  std::vector<Protocol> protocols;
  /// JoinGroup v4+: a member without an id is first given one (MEMBER_ID_REQUIRED).
  bool require_known_member_id = false;
};

struct JoinResult {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string metadata;
  };
  kafka::ErrorCode error = kafka::ErrorCode::kNone;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader_id;
  std::string member_id;
  std::vector<Member> members;  // every member's metadata, for the leader only
};

struct SyncResult {
  kafka::ErrorCode error = kafka::ErrorCode::kNone;
  std::string assignment;
};

using JoinCallback = std::function<void(JoinResult)>;
using SyncCallback = std::function<void(SyncResult)>;

struct MemberSummary {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::string metadata;    // of the chosen protocol; empty unless Stable
  std::string assignment;  // empty unless Stable
};

struct GroupSummary {
  GroupState state = GroupState::kDead;
  std::string protocol_type;
  std::string protocol_name;  // empty unless Stable
  int32_t generation_id = 0;
  std::string leader_id;
  std::vector<MemberSummary> members;
};

class ConsumerGroup {
 public:
  ConsumerGroup(std::string group_id, const GroupConfig& config);
  ConsumerGroup(const ConsumerGroup&) = delete;
  ConsumerGroup& operator=(const ConsumerGroup&) = delete;

  /// JoinGroup after the coordinator checked the group id and the session timeout.
  /// `done` gets the result now (errors, MEMBER_ID_REQUIRED, a member already in the
  /// current generation) or when the rebalance completes.
  void join(JoinParams params, int64_t now_ms, JoinCallback done);
  /// SyncGroup: the leader's `assignments` (member id → bytes) are ignored unless the
  /// sender is the leader of `generation_id`. `done` gets the member's assignment once the
  /// leader has sent it, or an error.
  void sync(const std::string& member_id, const std::optional<std::string>& group_instance_id,
            int32_t generation_id, std::map<std::string, std::string> assignments,
            int64_t now_ms, SyncCallback done);
  kafka::ErrorCode heartbeat(const std::string& member_id,
                             const std::optional<std::string>& group_instance_id,
                             int32_t generation_id, int64_t now_ms);
  /// One member leaving, named by member id or (member id "") by instance id.
  kafka::ErrorCode leave(const std::string& member_id,
                         const std::optional<std::string>& group_instance_id, int64_t now_ms);
  /// Whether an OffsetCommit from this member and generation may be stored (and, for a
  /// member, counts as a heartbeat). Generation < 0 is a commit from outside group
  /// management, allowed only while the group is Empty.
  kafka::ErrorCode validate_commit(const std::string& member_id,
                                   const std::optional<std::string>& group_instance_id,
                                   int32_t generation_id, int64_t now_ms);

  /// Applies every timeout due at `now_ms`: members whose session expired are removed,
  /// unanswered MEMBER_ID_REQUIRED ids are forgotten, a join phase past its deadline
  /// completes with the members that rejoined.
  void expire(int64_t now_ms);
  /// The earliest time expire() has something to do; nullopt when nothing is pending.
  std::optional<int64_t> next_deadline() const;

  /// Marks the group deleted (only when Empty: the caller checks).
  void mark_dead() { state_ = GroupState::kDead; }

  GroupState state() const { return state_; }
  const std::string& id() const { return group_id_; }
  const std::string& protocol_type() const { return protocol_type_; }
  int32_t generation_id() const { return generation_id_; }
  const std::string& leader_id() const { return leader_id_; }
  size_t member_count() const { return members_.size(); }
  bool has_member(std::string_view member_id) const;
  /// No members and no member id handed out and not yet used.
  bool idle() const { return members_.empty() && pending_.empty(); }
  GroupSummary summary() const;
  /// The topics the members subscribe to, from their "consumer" protocol metadata; an
  /// empty set with no members; nullopt when unknown (another protocol type, or metadata
  /// that does not parse), which Kafka treats as subscribed to everything.
  std::optional<std::set<std::string>> subscribed_topics() const;

 private:
  struct Member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::vector<Protocol> protocols;
    std::string assignment;
    JoinCallback awaiting_join;  // set while its JoinGroup waits for the rebalance
    SyncCallback awaiting_sync;  // set while its SyncGroup waits for the leader
    int64_t session_deadline_ms = 0;

    const std::string* metadata_for(std::string_view protocol) const;
  };

  std::string new_member_id(std::string_view prefix) const;
  bool supports_protocols(const std::string& type, const std::vector<Protocol>& protocols) const;
  std::string select_protocol() const;
  bool is_fenced(const std::string& member_id, const std::optional<std::string>& instance) const;
  bool all_members_joined() const;
  int32_t rebalance_timeout_ms() const;

  void add_member_and_rebalance(std::string member_id, JoinParams& params, int64_t now_ms,
                                JoinCallback done);
  void update_member_and_rebalance(Member& member, JoinParams& params, int64_t now_ms,
                                   JoinCallback done);
  void replace_static_member(JoinParams& params, int64_t now_ms, JoinCallback done);
  void maybe_prepare_rebalance(int64_t now_ms, std::string_view reason);
  void prepare_rebalance(int64_t now_ms, std::string_view reason);
  void try_complete_join(int64_t now_ms);
  void on_join_deadline(int64_t now_ms);
  void complete_join(int64_t now_ms);
  void remove_member(const std::string& member_id, kafka::ErrorCode answer);
  void remove_member_and_update(const std::string& member_id, int64_t now_ms,
                                std::string_view reason);
  JoinResult current_generation_result(const Member& member, bool with_members) const;

  std::string group_id_;
  const GroupConfig& config_;
  GroupState state_ = GroupState::kEmpty;
  int32_t generation_id_ = 0;
  std::string protocol_type_;
  std::string protocol_name_;
  std::string leader_id_;
  std::map<std::string, Member, std::less<>> members_;
  std::map<std::string, int64_t, std::less<>> pending_;        // member id → deadline
  std::map<std::string, std::string, std::less<>> static_ids_;  // instance id → member id
  // The join phase (PreparingRebalance): when it ends, and the initial-delay bookkeeping
  // of a rebalance that started from Empty (Kafka's InitialDelayedJoin).
  int64_t join_deadline_ms_ = -1;
  bool initial_join_ = false;
  bool new_member_added_ = false;
  int64_t initial_remaining_ms_ = 0;
};

}  // namespace sluice::broker::group
