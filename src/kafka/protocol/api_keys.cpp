#include "kafka/protocol/api_keys.h"

#include <array>

namespace sluice::kafka {
namespace {

constexpr int16_t kNever = INT16_MAX;

constexpr std::array kApis = {
    ApiInfo{ApiKey::kProduce, "Produce", 0, 8, 9},
    ApiInfo{ApiKey::kFetch, "Fetch", 0, 11, 12},
    ApiInfo{ApiKey::kListOffsets, "ListOffsets", 0, 5, 6},
    ApiInfo{ApiKey::kMetadata, "Metadata", 0, 8, 9},
    ApiInfo{ApiKey::kOffsetCommit, "OffsetCommit", 0, 7, 8},
    ApiInfo{ApiKey::kOffsetFetch, "OffsetFetch", 0, 5, 6},
    ApiInfo{ApiKey::kFindCoordinator, "FindCoordinator", 0, 2, 3},
    ApiInfo{ApiKey::kJoinGroup, "JoinGroup", 0, 5, 6},
    ApiInfo{ApiKey::kHeartbeat, "Heartbeat", 0, 3, 4},
    ApiInfo{ApiKey::kLeaveGroup, "LeaveGroup", 0, 3, 4},
    ApiInfo{ApiKey::kSyncGroup, "SyncGroup", 0, 3, 4},
    ApiInfo{ApiKey::kDescribeGroups, "DescribeGroups", 0, 4, 5},
    ApiInfo{ApiKey::kListGroups, "ListGroups", 0, 2, 3},
    ApiInfo{ApiKey::kSaslHandshake, "SaslHandshake", 0, 1, kNever},
    ApiInfo{ApiKey::kApiVersions, "ApiVersions", 0, 3, 3},
    ApiInfo{ApiKey::kCreateTopics, "CreateTopics", 0, 4, 5},
    ApiInfo{ApiKey::kDeleteTopics, "DeleteTopics", 0, 3, 4},
    ApiInfo{ApiKey::kInitProducerId, "InitProducerId", 0, 4, 2},
    ApiInfo{ApiKey::kAddPartitionsToTxn, "AddPartitionsToTxn", 0, 3, 3},
    ApiInfo{ApiKey::kAddOffsetsToTxn, "AddOffsetsToTxn", 0, 3, 3},
    ApiInfo{ApiKey::kEndTxn, "EndTxn", 0, 3, 3},
    ApiInfo{ApiKey::kTxnOffsetCommit, "TxnOffsetCommit", 0, 3, 3},
    ApiInfo{ApiKey::kDescribeConfigs, "DescribeConfigs", 0, 3, 4},
    ApiInfo{ApiKey::kAlterConfigs, "AlterConfigs", 0, 1, 2},
    ApiInfo{ApiKey::kDescribeLogDirs, "DescribeLogDirs", 0, 1, 2},
    ApiInfo{ApiKey::kCreatePartitions, "CreatePartitions", 0, 1, 2},
    ApiInfo{ApiKey::kDeleteGroups, "DeleteGroups", 0, 1, 2},
    ApiInfo{ApiKey::kIncrementalAlterConfigs, "IncrementalAlterConfigs", 0, 1, 1},
    ApiInfo{ApiKey::kOffsetDelete, "OffsetDelete", 0, 0, kNever},
    ApiInfo{ApiKey::kDescribeTransactions, "DescribeTransactions", 0, 0, 0},
    ApiInfo{ApiKey::kListTransactions, "ListTransactions", 0, 0, 0},
};

}  // namespace

std::span<const ApiInfo> supported_apis() { return kApis; }

std::optional<ApiInfo> find_api(int16_t key) {
  for (const auto& a : kApis)
    if (int16_t(a.key) == key) return a;
  return std::nullopt;
}

}  // namespace sluice::kafka
