// Groups and committed offsets through a real broker on loopback, spoken to with our own
// codecs: the request flow of a consumer, blocking JoinGroup/SyncGroup, durability of
// offsets across a restart. Real clients (kcat -G, kafka-python, ...) are in
// tests/integration.
#include <gtest/gtest.h>

#include <future>

#include "broker_fixture.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker::testing {
namespace {

using namespace sluice::kafka;

std::string subscription(std::vector<std::string> topics) {
  WireWriter w;
  w.int16(0);
  w.int32(int32_t(topics.size()));
  for (const auto& t : topics) w.nullable_string(std::string_view(t), false);
  w.int32(-1);
  return w.finish_bytes();
}

JoinGroupResponse join(RawClient& c, const std::string& group, const std::string& member_id,
                       int16_t version = 5) {
  JoinGroupRequest r;
  r.group_id = group;
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 10000;
  r.member_id = member_id;
  r.protocol_type = "consumer";
  r.protocols.push_back({"range", Bytes{subscription({"t"})}});
  return c.call<JoinGroupResponse>(ApiKey::kJoinGroup, version, r);
}

/// JoinGroup v5 the way librdkafka does it: MEMBER_ID_REQUIRED, then again with the id.
JoinGroupResponse join_new(RawClient& c, const std::string& group) {
  auto first = join(c, group, "");
  EXPECT_EQ(first.error_code, code(ErrorCode::kMemberIdRequired));
  return join(c, group, first.member_id);
}

SyncGroupResponse sync(RawClient& c, const std::string& group, const std::string& member,
                       int32_t generation, std::vector<SyncGroupRequest::Assignment> a = {}) {
  SyncGroupRequest r;
  r.group_id = group;
  r.member_id = member;
  r.generation_id = generation;
  r.assignments = std::move(a);
  return c.call<SyncGroupResponse>(ApiKey::kSyncGroup, 3, r);
}

int16_t heartbeat(RawClient& c, const std::string& group, const std::string& member,
                  int32_t generation) {
  HeartbeatRequest r;
  r.group_id = group;
  r.member_id = member;
  r.generation_id = generation;
  return c.call<HeartbeatResponse>(ApiKey::kHeartbeat, 3, r).error_code;
}

int16_t commit(RawClient& c, const std::string& group, int32_t generation,
               const std::string& member, const std::string& topic, int64_t offset,
               int16_t version = 7) {
  OffsetCommitRequest r;
  r.group_id = group;
  r.generation_id = generation;
  r.member_id = member;
  r.topics.push_back({topic, {{0, offset, -1, -1, std::string("meta")}}});
  return c.call<OffsetCommitResponse>(ApiKey::kOffsetCommit, version, r)
      .topics.at(0)
      .partitions.at(0)
      .error_code;
}

int64_t committed(RawClient& c, const std::string& group, const std::string& topic,
                  int16_t version = 5) {
  OffsetFetchRequest r;
  r.group_id = group;
  r.topics = std::vector<OffsetFetchRequest::Topic>{{topic, {0}}};
  auto resp = c.call<OffsetFetchResponse>(ApiKey::kOffsetFetch, version, r);
  return resp.topics.at(0).partitions.at(0).committed_offset;
}

void create_topic(RawClient& c, const std::string& name) {
  CreateTopicsRequest req;
  req.topics.push_back({name, 1, 1, {}, {}});
  auto resp = c.call<CreateTopicsResponse>(ApiKey::kCreateTopics, 4, req);
  ASSERT_EQ(resp.topics.at(0).error_code, 0);
}

TEST_F(BrokerTest, FindCoordinatorNamesThisBrokerForGroups) {
  start();
  RawClient c(port());
  for (int16_t v : {0, 1, 2}) {
    FindCoordinatorRequest r;
    r.key = "my-group";
    auto resp = c.call<FindCoordinatorResponse>(ApiKey::kFindCoordinator, v, r);
    EXPECT_EQ(resp.error_code, 0) << "v" << v;
    EXPECT_EQ(resp.node_id, 0);
    EXPECT_EQ(resp.host, "127.0.0.1");
    EXPECT_EQ(resp.port, port());
  }
  FindCoordinatorRequest txn;
  txn.key = "my-txn";
  txn.key_type = 1;
  auto resp = c.call<FindCoordinatorResponse>(ApiKey::kFindCoordinator, 2, txn);
  EXPECT_EQ(resp.error_code, 0);  // this broker is the transaction coordinator too
  EXPECT_EQ(resp.port, port());
}

TEST_F(BrokerTest, ConsumerGroupLifecycle) {
  start();
  RawClient c(port());
  create_topic(c, "t");
  auto j = join_new(c, "g");
  ASSERT_EQ(j.error_code, 0);
  EXPECT_EQ(j.generation_id, 1);
  EXPECT_EQ(j.leader, j.member_id);
  EXPECT_EQ(j.member_id.rfind("test-", 0), 0u) << "client id, then a UUID: " << j.member_id;
  auto s = sync(c, "g", j.member_id, 1, {{j.member_id, Bytes{"mine"}}});
  EXPECT_EQ(s.error_code, 0);
  EXPECT_EQ(s.assignment.value, "mine");
  EXPECT_EQ(heartbeat(c, "g", j.member_id, 1), 0);
  EXPECT_EQ(heartbeat(c, "g", j.member_id, 0), code(ErrorCode::kIllegalGeneration));
  EXPECT_EQ(heartbeat(c, "g", "stranger", 1), code(ErrorCode::kUnknownMemberId));
  EXPECT_EQ(commit(c, "g", 1, j.member_id, "t", 5), 0);
  EXPECT_EQ(commit(c, "g", 1, j.member_id, "no-such-topic", 5),
            code(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(committed(c, "g", "t"), 5);

  DescribeGroupsRequest d;
  d.groups = {"g"};
  auto desc = c.call<DescribeGroupsResponse>(ApiKey::kDescribeGroups, 4, d);
  ASSERT_EQ(desc.groups.size(), 1u);
  EXPECT_EQ(desc.groups[0].group_state, "Stable");
  ASSERT_EQ(desc.groups[0].members.size(), 1u);
  EXPECT_EQ(desc.groups[0].members[0].client_id, "test");
  EXPECT_EQ(desc.groups[0].members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(desc.groups[0].members[0].member_assignment.value, "mine");

  ListGroupsRequest l;
  auto list = c.call<ListGroupsResponse>(ApiKey::kListGroups, 2, l);
  ASSERT_EQ(list.groups.size(), 1u);
  EXPECT_EQ(list.groups[0].group_id, "g");
  EXPECT_EQ(list.groups[0].protocol_type, "consumer");

  DeleteGroupsRequest del;
  del.groups_names = {"g"};
  EXPECT_EQ(c.call<DeleteGroupsResponse>(ApiKey::kDeleteGroups, 1, del).results.at(0).error_code,
            code(ErrorCode::kNonEmptyGroup));
  LeaveGroupRequest leave;
  leave.group_id = "g";
  leave.members = {{j.member_id, std::nullopt}};
  auto left = c.call<LeaveGroupResponse>(ApiKey::kLeaveGroup, 3, leave);
  EXPECT_EQ(left.error_code, 0);
  EXPECT_EQ(left.members.at(0).error_code, 0);
  EXPECT_EQ(c.call<DeleteGroupsResponse>(ApiKey::kDeleteGroups, 1, del).results.at(0).error_code,
            0);
  EXPECT_EQ(committed(c, "g", "t"), -1);
}

TEST_F(BrokerTest, JoinGroupWaitsForTheRebalanceToComplete) {
  start();
  RawClient a(port()), b(port());
  auto ja = join_new(a, "g");
  ASSERT_EQ(ja.error_code, 0);
  ASSERT_EQ(sync(a, "g", ja.member_id, 1, {}).error_code, 0);

  auto first_b = join(b, "g", "");
  ASSERT_EQ(first_b.error_code, code(ErrorCode::kMemberIdRequired));
  auto jb_future = std::async(std::launch::async, [&] { return join(b, "g", first_b.member_id); });
  EXPECT_EQ(jb_future.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "b's join waits for a to rejoin";
  EXPECT_EQ(heartbeat(a, "g", ja.member_id, 1), code(ErrorCode::kRebalanceInProgress));
  auto ja2 = join(a, "g", ja.member_id);
  auto jb = jb_future.get();
  EXPECT_EQ(ja2.error_code, 0);
  EXPECT_EQ(jb.error_code, 0);
  EXPECT_EQ(ja2.generation_id, 2);
  EXPECT_EQ(jb.generation_id, 2);
  EXPECT_EQ(ja2.members.size(), 2u);

  auto sb_future = std::async(std::launch::async, [&] { return sync(b, "g", jb.member_id, 2); });
  EXPECT_EQ(sb_future.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "b's sync waits for the leader's assignment";
  auto sa = sync(a, "g", ja.member_id, 2,
                 {{ja.member_id, Bytes{"for-a"}}, {jb.member_id, Bytes{"for-b"}}});
  EXPECT_EQ(sa.assignment.value, "for-a");
  EXPECT_EQ(sb_future.get().assignment.value, "for-b");
}

TEST_F(BrokerTest, OldClientsJoinWithoutMemberIdRequired) {
  start();
  RawClient c(port());
  auto j = join(c, "g", "", 2);  // kafka-python uses v0-v2
  EXPECT_EQ(j.error_code, 0);
  EXPECT_EQ(j.generation_id, 1);
  EXPECT_FALSE(j.member_id.empty());
}

TEST_F(BrokerTest, CommittedOffsetsSurviveARestart) {
  start();
  {
    RawClient c(port());
    create_topic(c, "t");
    EXPECT_EQ(commit(c, "simple", -1, "", "t", 123), 0);
    EXPECT_EQ(commit(c, "v2", -1, "", "t", 7, 2), 0);
  }
  stop();
  start();
  RawClient c(port());
  EXPECT_EQ(committed(c, "simple", "t"), 123);
  EXPECT_EQ(committed(c, "v2", "t", 1), 7);
  OffsetFetchRequest all;
  all.group_id = "simple";
  auto resp = c.call<OffsetFetchResponse>(ApiKey::kOffsetFetch, 3, all);
  ASSERT_EQ(resp.topics.size(), 1u);
  EXPECT_EQ(resp.topics[0].partitions.at(0).metadata, "meta");
}

TEST_F(BrokerTest, DeletingATopicDeletesItsCommittedOffsets) {
  start();
  RawClient c(port());
  create_topic(c, "t");
  EXPECT_EQ(commit(c, "g", -1, "", "t", 9), 0);
  DeleteTopicsRequest del;
  del.topic_names = {"t"};
  del.timeout_ms = 1000;
  c.call<DeleteTopicsResponse>(ApiKey::kDeleteTopics, 3, del);
  create_topic(c, "t");
  EXPECT_EQ(committed(c, "g", "t"), -1) << "a new topic of the same name starts uncommitted";
}

}  // namespace
}  // namespace sluice::broker::testing
