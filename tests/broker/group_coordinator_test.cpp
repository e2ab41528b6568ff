// The group coordinator on a fake clock: Kafka's rules for commits, fetches, deletes and
// descriptions, over a real OffsetStore in a temp dir.
#include <gtest/gtest.h>

#include <set>

#include "broker/group/group_coordinator.h"
#include "broker_fixture.h"
#include "kafka/protocol/wire.h"

namespace sluice::broker::group {
namespace {

using kafka::ErrorCode;
using testing::TempDir;

std::string subscription(std::vector<std::string> topics) {
  kafka::WireWriter w;
  w.int16(0);
  w.int32(int32_t(topics.size()));
  for (const auto& t : topics) w.nullable_string(std::string_view(t), false);
  w.int32(-1);
  return w.finish_bytes();
}

int16_t err(ErrorCode e) { return kafka::code(e); }

class GroupCoordinatorTest : public ::testing::Test {
 protected:
  GroupCoordinatorTest() { reopen(); }

  void reopen() {
    coordinator_.reset();
    auto offsets = OffsetStore::open(dir_.path() / "offsets", log::FlushPolicy{});
    EXPECT_TRUE(offsets.ok());
    coordinator_ = std::make_unique<GroupCoordinator>(
        GroupConfig{}, std::move(offsets.store),
        [this](std::string_view topic, int32_t partition) {
          return topics_.count(std::string(topic)) && partition >= 0 && partition < 4;
        },
        [this] { return now_; });
  }

  kafka::JoinGroupResponse join(const std::string& group, const std::string& member_id,
                                std::vector<std::string> topics = {"t"}, int16_t version = 3) {
    kafka::JoinGroupRequest r;
    r.group_id = group;
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 10000;
    r.member_id = member_id;
    r.protocol_type = "consumer";
    r.protocols.push_back({"range", kafka::Bytes{subscription(std::move(topics))}});
    std::optional<kafka::JoinGroupResponse> out;
    coordinator_->join(r, version, {"cid", "/127.0.0.1"},
                       [&](kafka::JoinGroupResponse resp) { out = std::move(resp); });
    EXPECT_TRUE(out) << "a lone member's join completes at once";
    return out.value_or(kafka::JoinGroupResponse{});
  }
  kafka::SyncGroupResponse sync(const std::string& group, const std::string& member,
                                int32_t generation, bool assign = true) {
    kafka::SyncGroupRequest r;
    r.group_id = group;
    r.member_id = member;
    r.generation_id = generation;
    if (assign) r.assignments.push_back({member, kafka::Bytes{"assignment"}});
    std::optional<kafka::SyncGroupResponse> out;
    coordinator_->sync(r, [&](kafka::SyncGroupResponse resp) { out = std::move(resp); });
    EXPECT_TRUE(out);
    return out.value_or(kafka::SyncGroupResponse{});
  }
  /// A group with one Stable member; returns (member id, generation).
  std::pair<std::string, int32_t> stable_member(const std::string& group,
                                                std::vector<std::string> topics = {"t"}) {
    auto j = join(group, "", std::move(topics));
    EXPECT_EQ(j.error_code, 0);
    EXPECT_EQ(sync(group, j.member_id, j.generation_id).error_code, 0);
    return {j.member_id, j.generation_id};
  }
  kafka::OffsetCommitResponse commit(const std::string& group, int32_t generation,
                                     const std::string& member, const std::string& topic,
                                     int32_t partition, int64_t offset,
                                     std::optional<std::string> metadata = std::nullopt) {
    kafka::OffsetCommitRequest r;
    r.group_id = group;
    r.generation_id = generation;
    r.member_id = member;
    r.topics.push_back({topic, {{partition, offset, -1, -1, std::move(metadata)}}});
    return coordinator_->commit_offsets(r, 7);
  }
  int16_t commit_error(const std::string& group, int32_t generation, const std::string& member,
                       const std::string& topic = "t", int32_t partition = 0) {
    auto r = commit(group, generation, member, topic, partition, 42);
    return r.topics.at(0).partitions.at(0).error_code;
  }
  kafka::OffsetFetchResponse fetch(const std::string& group,
                                   std::optional<std::vector<kafka::OffsetFetchRequest::Topic>> t) {
    kafka::OffsetFetchRequest r;
    r.group_id = group;
    r.topics = std::move(t);
    return coordinator_->fetch_offsets(r, 5);
  }
  kafka::DescribeGroupsResponse::Group describe(const std::string& group) {
    kafka::DescribeGroupsRequest r;
    r.groups = {group};
    return coordinator_->describe(r).groups.at(0);
  }
  int16_t delete_group(const std::string& group) {
    kafka::DeleteGroupsRequest r;
    r.groups_names = {group};
    return coordinator_->delete_groups(r).results.at(0).error_code;
  }
  kafka::OffsetDeleteResponse delete_offsets(const std::string& group, const std::string& topic,
                                             int32_t partition) {
    kafka::OffsetDeleteRequest r;
    r.group_id = group;
    r.topics.push_back({topic, {{partition}}});
    return coordinator_->delete_offsets(r);
  }

  TempDir dir_;
  std::set<std::string> topics_{"t", "u"};
  int64_t now_ = 500000;
  std::unique_ptr<GroupCoordinator> coordinator_;
};

TEST_F(GroupCoordinatorTest, SimpleCommitsAndFetches) {
  auto c = commit("simple", -1, "", "t", 0, 17, "hello");
  EXPECT_EQ(c.topics.at(0).partitions.at(0).error_code, 0);
  auto f = fetch("simple", std::vector<kafka::OffsetFetchRequest::Topic>{{"t", {0, 1}},
                                                                        {"nope", {0}}});
  ASSERT_EQ(f.topics.size(), 2u);
  EXPECT_EQ(f.topics[0].partitions[0].committed_offset, 17);
  EXPECT_EQ(f.topics[0].partitions[0].metadata, "hello");
  EXPECT_EQ(f.topics[0].partitions[1].committed_offset, -1) << "no commit: -1";
  EXPECT_EQ(f.topics[0].partitions[1].metadata, "");
  EXPECT_EQ(f.topics[1].partitions[0].committed_offset, -1);
  EXPECT_EQ(f.topics[1].partitions[0].error_code, 0);

  auto all = fetch("simple", std::nullopt);
  ASSERT_EQ(all.topics.size(), 1u);
  EXPECT_EQ(all.topics[0].name, "t");
  ASSERT_EQ(all.topics[0].partitions.size(), 1u);
  EXPECT_EQ(all.topics[0].partitions[0].committed_offset, 17);
  EXPECT_TRUE(fetch("unknown-group", std::nullopt).topics.empty());
  auto empty_list = fetch("simple", std::vector<kafka::OffsetFetchRequest::Topic>{});
  ASSERT_EQ(empty_list.topics.size(), 1u) << "librdkafka 2.0 means 'all' by an empty list";

  EXPECT_EQ(describe("simple").group_state, "Empty");
  auto list = coordinator_->list();
  ASSERT_EQ(list.groups.size(), 1u);
  EXPECT_EQ(list.groups[0].group_id, "simple");
}

TEST_F(GroupCoordinatorTest, CommitErrors) {
  EXPECT_EQ(commit_error("g", -1, "", "deleted-topic"), err(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(commit_error("g", -1, "", "t", 9), err(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(commit_error("g", 3, "someone"), err(ErrorCode::kIllegalGeneration))
      << "a generation of a group that does not exist";
  auto big = commit("g", -1, "", "t", 0, 1, std::string(4097, 'm'));
  EXPECT_EQ(big.topics[0].partitions[0].error_code, err(ErrorCode::kOffsetMetadataTooLarge));

  auto [member, generation] = stable_member("g");
  EXPECT_EQ(commit_error("g", generation, member), 0);
  EXPECT_EQ(commit_error("g", generation - 1, member), err(ErrorCode::kIllegalGeneration));
  EXPECT_EQ(commit_error("g", generation, "stranger"), err(ErrorCode::kUnknownMemberId));
  EXPECT_EQ(commit_error("g", -1, ""), err(ErrorCode::kUnknownMemberId))
      << "no simple commits into an active group";
}

TEST_F(GroupCoordinatorTest, JoinErrorsBeforeTheGroup) {
  kafka::JoinGroupRequest r;
  r.group_id = "";
  r.session_timeout_ms = 10000;
  r.protocol_type = "consumer";
  std::optional<kafka::JoinGroupResponse> out;
  coordinator_->join(r, 5, {}, [&](kafka::JoinGroupResponse x) { out = x; });
  EXPECT_EQ(out->error_code, err(ErrorCode::kInvalidGroupId));
  r.group_id = "g";
  r.session_timeout_ms = 100;
  coordinator_->join(r, 5, {}, [&](kafka::JoinGroupResponse x) { out = x; });
  EXPECT_EQ(out->error_code, err(ErrorCode::kInvalidSessionTimeout));
  EXPECT_EQ(join("g", "made-up-member").error_code, err(ErrorCode::kUnknownMemberId));
  EXPECT_EQ(describe("g").group_state, "Dead") << "only a member without an id creates a group";

  kafka::HeartbeatRequest hb;
  hb.group_id = "nope";
  hb.member_id = "m";
  EXPECT_EQ(coordinator_->heartbeat(hb).error_code, err(ErrorCode::kUnknownMemberId));
  kafka::SyncGroupRequest s;
  s.group_id = "nope";
  std::optional<kafka::SyncGroupResponse> so;
  coordinator_->sync(s, [&](kafka::SyncGroupResponse x) { so = x; });
  EXPECT_EQ(so->error_code, err(ErrorCode::kUnknownMemberId));
}

TEST_F(GroupCoordinatorTest, MemberIdRequiredFromVersionFour) {
  auto first = join("g", "", {"t"}, 4);
  EXPECT_EQ(first.error_code, err(ErrorCode::kMemberIdRequired));
  EXPECT_FALSE(first.member_id.empty());
  auto second = join("g", first.member_id, {"t"}, 4);
  EXPECT_EQ(second.error_code, 0);
  EXPECT_EQ(second.member_id, first.member_id);
}

TEST_F(GroupCoordinatorTest, SessionExpiryEmptiesAndForgetsTheGroup) {
  auto [member, generation] = stable_member("g");
  EXPECT_EQ(describe("g").group_state, "Stable");
  EXPECT_EQ(coordinator_->next_deadline(), now_ + 10000);
  now_ += 10000;
  coordinator_->expire_due();
  EXPECT_EQ(describe("g").group_state, "Empty");
  EXPECT_EQ(coordinator_->list().groups.size(), 1u);
  EXPECT_EQ(coordinator_->next_deadline(), now_ + 600000);
  now_ += 600000;
  coordinator_->expire_due();
  EXPECT_EQ(describe("g").group_state, "Dead") << "empty and without offsets: forgotten";
  EXPECT_TRUE(coordinator_->list().groups.empty());
}

TEST_F(GroupCoordinatorTest, DescribeShowsMembersOfAStableGroup) {
  auto [member, generation] = stable_member("g");
  kafka::DescribeGroupsRequest r;
  r.groups = {"g", "missing"};
  r.include_authorized_operations = true;
  auto d = coordinator_->describe(r);
  ASSERT_EQ(d.groups.size(), 2u);
  EXPECT_EQ(d.groups[0].group_state, "Stable");
  EXPECT_EQ(d.groups[0].protocol_type, "consumer");
  EXPECT_EQ(d.groups[0].protocol_data, "range");
  ASSERT_EQ(d.groups[0].members.size(), 1u);
  EXPECT_EQ(d.groups[0].members[0].member_id, member);
  EXPECT_EQ(d.groups[0].members[0].client_id, "cid");
  EXPECT_EQ(d.groups[0].members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(d.groups[0].members[0].member_assignment.value, "assignment");
  EXPECT_EQ(d.groups[0].members[0].member_metadata.value, subscription({"t"}));
  EXPECT_EQ(d.groups[1].error_code, 0);
  EXPECT_EQ(d.groups[1].group_state, "Dead");
  EXPECT_EQ(coordinator_->list().groups.at(0).protocol_type, "consumer");
}

TEST_F(GroupCoordinatorTest, DeleteGroups) {
  EXPECT_EQ(delete_group("missing"), err(ErrorCode::kGroupIdNotFound));
  auto [member, generation] = stable_member("g");
  EXPECT_EQ(commit_error("g", generation, member), 0);
  EXPECT_EQ(delete_group("g"), err(ErrorCode::kNonEmptyGroup));
  kafka::LeaveGroupRequest leave;
  leave.group_id = "g";
  leave.member_id = member;
  EXPECT_EQ(coordinator_->leave(leave, 0).error_code, 0);
  EXPECT_EQ(describe("g").group_state, "Empty") << "kept for its offsets";
  EXPECT_EQ(delete_group("g"), 0);
  EXPECT_EQ(describe("g").group_state, "Dead");
  EXPECT_EQ(fetch("g", std::nullopt).topics.size(), 0u) << "its offsets went with it";
  reopen();
  EXPECT_EQ(fetch("g", std::nullopt).topics.size(), 0u) << "durably";
}

TEST_F(GroupCoordinatorTest, LeaveGroupV3ByMemberAndInstance) {
  auto [member, generation] = stable_member("g");
  kafka::LeaveGroupRequest leave;
  leave.group_id = "g";
  leave.members = {{member, std::nullopt}, {"ghost", std::nullopt}};
  auto r = coordinator_->leave(leave, 3);
  EXPECT_EQ(r.error_code, 0);
  ASSERT_EQ(r.members.size(), 2u);
  EXPECT_EQ(r.members[0].error_code, 0);
  EXPECT_EQ(r.members[1].error_code, err(ErrorCode::kUnknownMemberId));
}

TEST_F(GroupCoordinatorTest, OffsetDeleteFollowsSubscriptions) {
  EXPECT_EQ(delete_offsets("missing", "t", 0).error_code, err(ErrorCode::kGroupIdNotFound));
  auto [member, generation] = stable_member("g", {"t"});
  EXPECT_EQ(commit_error("g", generation, member, "t", 0), 0);
  EXPECT_EQ(commit_error("g", generation, member, "u", 0), 0);
  auto consumed = delete_offsets("g", "t", 0);
  EXPECT_EQ(consumed.error_code, 0);
  EXPECT_EQ(consumed.topics.at(0).partitions.at(0).error_code,
            err(ErrorCode::kGroupSubscribedToTopic));
  auto unknown = delete_offsets("g", "zzz", 0);
  EXPECT_EQ(unknown.topics.at(0).partitions.at(0).error_code,
            err(ErrorCode::kUnknownTopicOrPartition));
  auto other = delete_offsets("g", "u", 0);
  EXPECT_EQ(other.topics.at(0).partitions.at(0).error_code, 0);
  auto f = fetch("g", std::vector<kafka::OffsetFetchRequest::Topic>{{"u", {0}}, {"t", {0}}});
  EXPECT_EQ(f.topics[0].partitions[0].committed_offset, -1);
  EXPECT_EQ(f.topics[1].partitions[0].committed_offset, 42);

  EXPECT_EQ(commit_error("s", -1, ""), 0);
  EXPECT_EQ(delete_offsets("s", "t", 0).topics.at(0).partitions.at(0).error_code, 0);
  EXPECT_EQ(describe("s").group_state, "Dead") << "its last offset gone, the group is gone";
}

TEST_F(GroupCoordinatorTest, DeletingATopicDeletesItsOffsets) {
  EXPECT_EQ(commit_error("g", -1, "", "t", 0), 0);
  EXPECT_EQ(commit_error("g", -1, "", "u", 1), 0);
  topics_.erase("u");
  coordinator_->on_topic_deleted("u");
  auto all = fetch("g", std::nullopt);
  ASSERT_EQ(all.topics.size(), 1u);
  EXPECT_EQ(all.topics[0].name, "t");
  coordinator_->on_topic_deleted("t");
  EXPECT_EQ(describe("g").group_state, "Dead");
}

TEST_F(GroupCoordinatorTest, OffsetsSurviveARestartMembershipDoesNot) {
  auto [member, generation] = stable_member("g");
  EXPECT_EQ(commit_error("g", generation, member), 0);
  reopen();
  EXPECT_EQ(describe("g").group_state, "Empty");
  EXPECT_EQ(fetch("g", std::nullopt).topics.at(0).partitions.at(0).committed_offset, 42);
  kafka::HeartbeatRequest hb;
  hb.group_id = "g";
  hb.member_id = member;
  hb.generation_id = generation;
  EXPECT_EQ(coordinator_->heartbeat(hb).error_code, err(ErrorCode::kUnknownMemberId))
      << "the member rejoins";
  EXPECT_EQ(commit_error("g", generation, member), err(ErrorCode::kUnknownMemberId));
}

}  // namespace
}  // namespace sluice::broker::group
