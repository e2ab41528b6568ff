// The consumer group state machine on a fake clock: joins, rebalances, timeouts, static
// members and Kafka's error codes.
#include <gtest/gtest.h>

#include "broker/group/consumer_group.h"
#include "kafka/protocol/wire.h"

namespace sluice::broker::group {
namespace {

using kafka::ErrorCode;

/// ConsumerProtocolSubscription v0 metadata for `topics`.
std::string subscription(std::vector<std::string> topics) {
  kafka::WireWriter w;
  w.int16(0);
  w.int32(int32_t(topics.size()));
  for (const auto& t : topics) w.nullable_string(std::string_view(t), false);
  w.int32(-1);  // user data
  return w.finish_bytes();
}

/// Receives one JoinGroup or SyncGroup answer.
template <class Result>
struct Answer {
  std::optional<Result> result;
  int calls = 0;
  std::function<void(Result)> callback() {
    return [this](Result r) {
      ++calls;
      result = std::move(r);
    };
  }
  bool ready() const { return result.has_value(); }
  const Result& operator*() const { return *result; }
  const Result* operator->() const { return &*result; }
};
using JoinAnswer = Answer<JoinResult>;
using SyncAnswer = Answer<SyncResult>;

class ConsumerGroupTest : public ::testing::Test {
 protected:
  JoinParams params(std::string member_id = "", std::vector<Protocol> protocols = {}) {
    JoinParams p;
    p.member_id = std::move(member_id);
    p.client_id = "client";
    p.client_host = "/127.0.0.1";
    p.session_timeout_ms = 10000;
    p.rebalance_timeout_ms = 20000;
    p.protocol_type = "consumer";
    p.protocols = protocols.empty() ? std::vector<Protocol>{{"range", subscription({"t"})}}
                                    : std::move(protocols);
    return p;
  }
  void join(JoinAnswer& a, JoinParams p) { group_.join(std::move(p), now_, a.callback()); }
  void sync(SyncAnswer& a, const std::string& member, int32_t generation,
            std::map<std::string, std::string> assignments = {}) {
    group_.sync(member, std::nullopt, generation, std::move(assignments), now_, a.callback());
  }
  void advance(int64_t ms) {
    now_ += ms;
    group_.expire(now_);
  }
  /// One member joined and synced; returns its id.
  std::string stable_single(const std::string& assignment = "A") {
    JoinAnswer j;
    join(j, params());
    EXPECT_TRUE(j.ready());
    SyncAnswer s;
    sync(s, j->member_id, j->generation_id, {{j->member_id, assignment}});
    EXPECT_TRUE(s.ready());
    return j->member_id;
  }

  GroupConfig config_;
  ConsumerGroup group_{"g", config_};
  int64_t now_ = 1000000;
};

TEST_F(ConsumerGroupTest, FirstMemberLeadsGenerationOneAndGetsItsAssignment) {
  EXPECT_EQ(group_.state(), GroupState::kEmpty);
  JoinAnswer j;
  join(j, params());
  ASSERT_TRUE(j.ready());
  EXPECT_EQ(j->error, ErrorCode::kNone);
  EXPECT_EQ(j->generation_id, 1);
  EXPECT_EQ(j->protocol_name, "range");
  EXPECT_EQ(j->leader_id, j->member_id);
  EXPECT_EQ(j->member_id.rfind("client-", 0), 0u) << j->member_id;
  ASSERT_EQ(j->members.size(), 1u);
  EXPECT_EQ(j->members[0].metadata, subscription({"t"}));
  EXPECT_EQ(group_.state(), GroupState::kCompletingRebalance);

  SyncAnswer s;
  sync(s, j->member_id, 1, {{j->member_id, "assignment-bytes"}});
  ASSERT_TRUE(s.ready());
  EXPECT_EQ(s->error, ErrorCode::kNone);
  EXPECT_EQ(s->assignment, "assignment-bytes");
  EXPECT_EQ(group_.state(), GroupState::kStable);
  auto summary = group_.summary();
  ASSERT_EQ(summary.members.size(), 1u);
  EXPECT_EQ(summary.protocol_name, "range");
  EXPECT_EQ(summary.members[0].assignment, "assignment-bytes");
  EXPECT_EQ(summary.members[0].client_host, "/127.0.0.1");
}

TEST_F(ConsumerGroupTest, MemberIdRequiredRoundTrip) {
  auto p = params();
  p.require_known_member_id = true;
  JoinAnswer first;
  join(first, p);
  ASSERT_TRUE(first.ready());
  EXPECT_EQ(first->error, ErrorCode::kMemberIdRequired);
  EXPECT_FALSE(first->member_id.empty());
  EXPECT_EQ(group_.member_count(), 0u);

  p.member_id = first->member_id;
  JoinAnswer second;
  join(second, p);
  ASSERT_TRUE(second.ready());
  EXPECT_EQ(second->error, ErrorCode::kNone);
  EXPECT_EQ(second->member_id, first->member_id);
  EXPECT_EQ(second->generation_id, 1);
}

TEST_F(ConsumerGroupTest, UnusedMemberIdIsForgottenAfterTheSessionTimeout) {
  std::string a = stable_single();
  auto p = params();
  p.require_known_member_id = true;
  JoinAnswer pending;
  join(pending, p);
  ASSERT_EQ(pending->error, ErrorCode::kMemberIdRequired);
  EXPECT_FALSE(group_.idle());
  advance(5000);
  EXPECT_EQ(group_.heartbeat(a, std::nullopt, 1, now_), ErrorCode::kNone);
  advance(5000);
  EXPECT_EQ(group_.heartbeat(a, std::nullopt, 1, now_), ErrorCode::kNone);
  p.member_id = pending->member_id;
  JoinAnswer late;
  join(late, p);
  EXPECT_EQ(late->error, ErrorCode::kUnknownMemberId);
}

TEST_F(ConsumerGroupTest, SecondMemberTriggersRebalanceThatWaitsForTheFirst) {
  std::string a = stable_single();
  JoinAnswer jb;
  join(jb, params());
  EXPECT_FALSE(jb.ready()) << "waits for the known member to rejoin";
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group_.heartbeat(a, std::nullopt, 1, now_), ErrorCode::kRebalanceInProgress);

  JoinAnswer ja;
  join(ja, params(a));
  ASSERT_TRUE(ja.ready());
  ASSERT_TRUE(jb.ready());
  EXPECT_EQ(ja->generation_id, 2);
  EXPECT_EQ(jb->generation_id, 2);
  EXPECT_EQ(ja->leader_id, a);
  EXPECT_EQ(jb->leader_id, a);
  EXPECT_EQ(ja->members.size(), 2u);
  EXPECT_TRUE(jb->members.empty()) << "only the leader sees the subscriptions";

  SyncAnswer sb;
  sync(sb, jb->member_id, 2);
  EXPECT_FALSE(sb.ready()) << "a follower waits for the leader's assignment";
  EXPECT_EQ(group_.heartbeat(a, std::nullopt, 2, now_), ErrorCode::kNone);
  SyncAnswer sa;
  sync(sa, a, 2, {{a, "pa"}, {jb->member_id, "pb"}});
  ASSERT_TRUE(sb.ready());
  EXPECT_EQ(sa->assignment, "pa");
  EXPECT_EQ(sb->assignment, "pb");
  EXPECT_EQ(sb.calls, 1);
  EXPECT_EQ(group_.state(), GroupState::kStable);
}

TEST_F(ConsumerGroupTest, MembersThatDoNotRejoinWithinTheRebalanceTimeoutAreDropped) {
  std::string a = stable_single();
  JoinAnswer jb;
  join(jb, params());
  JoinAnswer ja;
  join(ja, params(a));
  SyncAnswer sa, sb;
  sync(sa, a, 2, {{a, "1"}, {jb->member_id, "2"}});
  sync(sb, jb->member_id, 2);
  ASSERT_EQ(group_.state(), GroupState::kStable);

  JoinAnswer jc;
  join(jc, params());
  JoinAnswer ja3;
  join(ja3, params(a));
  EXPECT_FALSE(ja3.ready());
  for (int64_t step : {9000, 9000, 1999}) {  // B heartbeats but never rejoins
    advance(step);
    EXPECT_EQ(group_.heartbeat(jb->member_id, std::nullopt, 2, now_),
              ErrorCode::kRebalanceInProgress);
  }
  EXPECT_FALSE(ja3.ready());
  advance(1);
  ASSERT_TRUE(ja3.ready());
  ASSERT_TRUE(jc.ready());
  EXPECT_EQ(ja3->generation_id, 3);
  EXPECT_EQ(ja3->members.size(), 2u);
  EXPECT_FALSE(group_.has_member(jb->member_id));
  EXPECT_EQ(group_.heartbeat(jb->member_id, std::nullopt, 2, now_), ErrorCode::kUnknownMemberId);
}

TEST_F(ConsumerGroupTest, SessionTimeoutRemovesASilentMemberAndRebalances) {
  std::string a = stable_single();
  JoinAnswer jb;
  join(jb, params());
  JoinAnswer ja;
  join(ja, params(a));
  SyncAnswer sa, sb;
  sync(sb, jb->member_id, 2);
  sync(sa, a, 2, {{a, "1"}, {jb->member_id, "2"}});
  ASSERT_EQ(group_.state(), GroupState::kStable);
  EXPECT_EQ(group_.next_deadline(), now_ + 10000);

  advance(6000);
  EXPECT_EQ(group_.heartbeat(a, std::nullopt, 2, now_), ErrorCode::kNone);
  advance(4000);  // B's session (10 s since the sync) ends
  EXPECT_FALSE(group_.has_member(jb->member_id));
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group_.heartbeat(a, std::nullopt, 2, now_), ErrorCode::kRebalanceInProgress);
  JoinAnswer ja2;
  join(ja2, params(a));
  ASSERT_TRUE(ja2.ready()) << "the only remaining member rejoined: no waiting";
  EXPECT_EQ(ja2->generation_id, 3);
  EXPECT_EQ(ja2->members.size(), 1u);
}

TEST_F(ConsumerGroupTest, LastMemberTimingOutLeavesTheGroupEmpty) {
  std::string a = stable_single();
  advance(10000);
  EXPECT_EQ(group_.state(), GroupState::kEmpty);
  EXPECT_EQ(group_.generation_id(), 2);
  EXPECT_TRUE(group_.idle());
  EXPECT_EQ(group_.protocol_type(), "consumer");
  EXPECT_EQ(group_.next_deadline(), std::nullopt);
}

TEST_F(ConsumerGroupTest, NoCommonProtocolIsInconsistent) {
  stable_single();
  JoinAnswer other_protocol;
  join(other_protocol, params("", {{"roundrobin", "x"}}));
  EXPECT_EQ(other_protocol->error, ErrorCode::kInconsistentGroupProtocol);
  auto p = params();
  p.protocol_type = "connect";
  JoinAnswer other_type;
  join(other_type, p);
  EXPECT_EQ(other_type->error, ErrorCode::kInconsistentGroupProtocol);
  EXPECT_EQ(group_.state(), GroupState::kStable) << "a refused join changes nothing";

  ConsumerGroup empty("e", config_);
  JoinAnswer none;
  auto no_protocols = params();
  no_protocols.protocols.clear();
  empty.join(no_protocols, now_, none.callback());
  EXPECT_EQ(none->error, ErrorCode::kInconsistentGroupProtocol);
}

TEST_F(ConsumerGroupTest, ChoosesTheProtocolMostMembersPrefer) {
  JoinAnswer a;
  join(a, params("", {{"range", "r"}, {"roundrobin", "rr"}, {"sticky", "s"}}));
  SyncAnswer s;
  sync(s, a->member_id, 1, {});
  JoinAnswer b, c;
  join(b, params("", {{"roundrobin", "rr"}, {"range", "r"}}));
  join(c, params("", {{"sticky", "s"}, {"roundrobin", "rr"}}));
  JoinAnswer a2;
  join(a2, params(a->member_id, {{"range", "r"}, {"roundrobin", "rr"}, {"sticky", "s"}}));
  ASSERT_TRUE(a2.ready());
  EXPECT_EQ(a2->protocol_name, "roundrobin") << "sticky is not supported by b";
  for (const auto& m : a2->members) EXPECT_EQ(m.metadata, "rr");
}

TEST_F(ConsumerGroupTest, HeartbeatAndSyncErrors) {
  SyncAnswer before_join;
  sync(before_join, "nobody", 0);
  EXPECT_EQ(before_join->error, ErrorCode::kUnknownMemberId);
  std::string a = stable_single();
  EXPECT_EQ(group_.heartbeat("nobody", std::nullopt, 1, now_), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(group_.heartbeat(a, std::nullopt, 7, now_), ErrorCode::kIllegalGeneration);
  SyncAnswer stale;
  sync(stale, a, 0);
  EXPECT_EQ(stale->error, ErrorCode::kIllegalGeneration);
  SyncAnswer again;
  sync(again, a, 1);
  EXPECT_EQ(again->error, ErrorCode::kNone);
  EXPECT_EQ(again->assignment, "A") << "a Stable group returns the member's assignment";

  JoinAnswer jb;
  join(jb, params());
  SyncAnswer during;
  sync(during, a, 1);
  EXPECT_EQ(during->error, ErrorCode::kRebalanceInProgress);
}

TEST_F(ConsumerGroupTest, LeaderLeavingHandsLeadershipToAnotherMember) {
  std::string a = stable_single();
  JoinAnswer jb;
  join(jb, params());
  JoinAnswer ja;
  join(ja, params(a));
  SyncAnswer sa, sb;
  sync(sb, jb->member_id, 2);
  sync(sa, a, 2, {{a, "1"}, {jb->member_id, "2"}});
  EXPECT_EQ(group_.leave(a, std::nullopt, now_), ErrorCode::kNone);
  EXPECT_EQ(group_.leave(a, std::nullopt, now_), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  JoinAnswer jb2;
  join(jb2, params(jb->member_id));
  ASSERT_TRUE(jb2.ready());
  EXPECT_EQ(jb2->leader_id, jb->member_id);
  EXPECT_EQ(jb2->generation_id, 3);
}

TEST_F(ConsumerGroupTest, LeavingWhileAFollowerAwaitsSyncAnswersRebalanceInProgress) {
  std::string a = stable_single();
  JoinAnswer jb;
  join(jb, params());
  JoinAnswer ja;
  join(ja, params(a));
  SyncAnswer sb;
  sync(sb, jb->member_id, 2);
  EXPECT_FALSE(sb.ready());
  EXPECT_EQ(group_.leave(a, std::nullopt, now_), ErrorCode::kNone);
  ASSERT_TRUE(sb.ready());
  EXPECT_EQ(sb->error, ErrorCode::kRebalanceInProgress);
}

TEST_F(ConsumerGroupTest, CommitsAreCheckedAgainstMembershipAndGeneration) {
  EXPECT_EQ(group_.validate_commit("", std::nullopt, -1, now_), ErrorCode::kNone)
      << "a simple consumer may commit to an Empty group";
  EXPECT_EQ(group_.validate_commit("x", std::nullopt, 3, now_), ErrorCode::kUnknownMemberId);
  JoinAnswer j;
  join(j, params());
  EXPECT_EQ(group_.validate_commit(j->member_id, std::nullopt, 1, now_),
            ErrorCode::kRebalanceInProgress);
  SyncAnswer s;
  sync(s, j->member_id, 1, {});
  EXPECT_EQ(group_.validate_commit(j->member_id, std::nullopt, 1, now_), ErrorCode::kNone);
  EXPECT_EQ(group_.validate_commit(j->member_id, std::nullopt, 0, now_),
            ErrorCode::kIllegalGeneration);
  EXPECT_EQ(group_.validate_commit("", std::nullopt, -1, now_), ErrorCode::kUnknownMemberId)
      << "an active group accepts no simple commits";
}

TEST_F(ConsumerGroupTest, StaticMemberRejoinsWithoutRebalance) {
  auto p = params();
  p.group_instance_id = "instance-1";
  JoinAnswer j;
  join(j, p);
  ASSERT_EQ(j->error, ErrorCode::kNone);
  EXPECT_EQ(j->member_id.rfind("instance-1-", 0), 0u);
  SyncAnswer s;
  sync(s, j->member_id, 1, {{j->member_id, "kept"}});
  ASSERT_EQ(group_.state(), GroupState::kStable);

  JoinAnswer again;  // the client restarted: no member id, same instance id
  join(again, p);
  ASSERT_TRUE(again.ready());
  EXPECT_EQ(again->error, ErrorCode::kNone);
  EXPECT_NE(again->member_id, j->member_id);
  EXPECT_EQ(again->generation_id, 1) << "no rebalance";
  EXPECT_EQ(again->leader_id, j->member_id) << "the old id, so it does not reassign";
  EXPECT_EQ(group_.state(), GroupState::kStable);

  EXPECT_EQ(group_.heartbeat(j->member_id, std::string("instance-1"), 1, now_),
            ErrorCode::kFencedInstanceId);
  SyncAnswer old_sync;
  group_.sync(j->member_id, std::string("instance-1"), 1, {}, now_, old_sync.callback());
  EXPECT_EQ(old_sync->error, ErrorCode::kFencedInstanceId);
  SyncAnswer new_sync;
  group_.sync(again->member_id, std::string("instance-1"), 1, {}, now_, new_sync.callback());
  EXPECT_EQ(new_sync->error, ErrorCode::kNone);
  EXPECT_EQ(new_sync->assignment, "kept");
  EXPECT_EQ(group_.heartbeat(again->member_id, std::string("instance-1"), 1, now_),
            ErrorCode::kNone);
}

TEST_F(ConsumerGroupTest, StaticMemberWithChangedProtocolsTriggersRebalance) {
  auto p = params();
  p.group_instance_id = "i";
  JoinAnswer j;
  join(j, p);
  SyncAnswer s;
  sync(s, j->member_id, 1, {});
  p.protocols = {{"range", subscription({"t", "u"})}};
  JoinAnswer again;
  join(again, p);
  ASSERT_TRUE(again.ready()) << "it is the only member: the rebalance completes at once";
  EXPECT_EQ(again->generation_id, 2);
  EXPECT_EQ(again->leader_id, again->member_id);
}

TEST_F(ConsumerGroupTest, StaticMemberLeavesByInstanceId) {
  auto p = params();
  p.group_instance_id = "i";
  JoinAnswer j;
  join(j, p);
  EXPECT_EQ(group_.leave("", std::string("other"), now_), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(group_.leave("", std::string("i"), now_), ErrorCode::kNone);
  EXPECT_EQ(group_.member_count(), 0u);
}

TEST_F(ConsumerGroupTest, InitialRebalanceDelayWaitsForMoreMembers) {
  config_.initial_rebalance_delay_ms = 3000;
  JoinAnswer a, b;
  join(a, params());
  EXPECT_FALSE(a.ready());
  advance(1000);
  join(b, params());
  advance(2000);  // the first delay ends; b came during it: wait another delay
  EXPECT_FALSE(a.ready());
  advance(3000);
  ASSERT_TRUE(a.ready());
  ASSERT_TRUE(b.ready());
  EXPECT_EQ(a->generation_id, 1);
  EXPECT_EQ(b->generation_id, 1);
}

TEST_F(ConsumerGroupTest, SubscribedTopicsComeFromTheConsumerProtocolMetadata) {
  EXPECT_EQ(group_.subscribed_topics(), std::nullopt) << "no protocol type yet";
  JoinAnswer a, b;
  join(a, params("", {{"range", subscription({"t1", "t2"})}}));
  SyncAnswer s;
  sync(s, a->member_id, 1, {});
  join(b, params("", {{"range", subscription({"t3"})}}));
  auto topics = group_.subscribed_topics();
  ASSERT_TRUE(topics);
  EXPECT_EQ(*topics, (std::set<std::string>{"t1", "t2", "t3"}));

  ConsumerGroup garbage("x", config_);
  JoinAnswer g;
  garbage.join(params("", {{"range", "\x01"}}), now_, g.callback());
  EXPECT_EQ(garbage.subscribed_topics(), std::nullopt);
}

TEST_F(ConsumerGroupTest, EveryCallbackIsAnsweredExactlyOnce) {
  std::string a = stable_single();
  JoinAnswer jb;
  join(jb, params());
  JoinAnswer ja1, ja2;
  join(ja1, params(a));
  // ja1 completed the rebalance; a second join of the same member in CompletingRebalance
  // is answered with the same generation.
  join(ja2, params(a));
  EXPECT_EQ(ja1.calls, 1);
  EXPECT_EQ(ja2.calls, 1);
  EXPECT_EQ(ja2->generation_id, ja1->generation_id);
  EXPECT_EQ(jb.calls, 1);
}

}  // namespace
}  // namespace sluice::broker::group
