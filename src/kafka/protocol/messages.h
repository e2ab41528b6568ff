// Every Kafka message the broker serves: one header per API under messages/.
#pragma once

#include "kafka/protocol/messages/add_offsets_to_txn.h"
#include "kafka/protocol/messages/add_partitions_to_txn.h"
#include "kafka/protocol/messages/alter_configs.h"
#include "kafka/protocol/messages/api_versions.h"
#include "kafka/protocol/messages/create_partitions.h"
#include "kafka/protocol/messages/create_topics.h"
#include "kafka/protocol/messages/delete_groups.h"
#include "kafka/protocol/messages/delete_topics.h"
#include "kafka/protocol/messages/describe_configs.h"
#include "kafka/protocol/messages/describe_groups.h"
#include "kafka/protocol/messages/describe_log_dirs.h"
#include "kafka/protocol/messages/describe_transactions.h"
#include "kafka/protocol/messages/end_txn.h"
#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/find_coordinator.h"
#include "kafka/protocol/messages/heartbeat.h"
#include "kafka/protocol/messages/init_producer_id.h"
#include "kafka/protocol/messages/join_group.h"
#include "kafka/protocol/messages/leave_group.h"
#include "kafka/protocol/messages/list_groups.h"
#include "kafka/protocol/messages/list_offsets.h"
#include "kafka/protocol/messages/list_transactions.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/messages/offset_commit.h"
#include "kafka/protocol/messages/offset_delete.h"
#include "kafka/protocol/messages/offset_fetch.h"
#include "kafka/protocol/messages/produce.h"
#include "kafka/protocol/messages/sasl_handshake.h"
#include "kafka/protocol/messages/sync_group.h"
#include "kafka/protocol/messages/txn_offset_commit.h"

#include <type_traits>

#include "kafka/protocol/api_keys.h"

namespace sluice::kafka {

/// Calls f(std::type_identity<Request>{}) with the request type of `key`, so that code
/// which must handle every API (the broker's dispatch, the request fuzzer) names the
/// mapping from keys to types in one place. Throws DecodeError for a key without one.
template <class F>
decltype(auto) with_request_type(ApiKey key, F&& f) {
  switch (key) {
    case ApiKey::kProduce: return f(std::type_identity<ProduceRequest>{});
    case ApiKey::kFetch: return f(std::type_identity<FetchRequest>{});
    case ApiKey::kListOffsets: return f(std::type_identity<ListOffsetsRequest>{});
    case ApiKey::kMetadata: return f(std::type_identity<MetadataRequest>{});
    case ApiKey::kOffsetCommit: return f(std::type_identity<OffsetCommitRequest>{});
    case ApiKey::kOffsetFetch: return f(std::type_identity<OffsetFetchRequest>{});
    case ApiKey::kJoinGroup: return f(std::type_identity<JoinGroupRequest>{});
    case ApiKey::kHeartbeat: return f(std::type_identity<HeartbeatRequest>{});
    case ApiKey::kLeaveGroup: return f(std::type_identity<LeaveGroupRequest>{});
    case ApiKey::kSyncGroup: return f(std::type_identity<SyncGroupRequest>{});
    case ApiKey::kDescribeGroups: return f(std::type_identity<DescribeGroupsRequest>{});
    case ApiKey::kListGroups: return f(std::type_identity<ListGroupsRequest>{});
    case ApiKey::kDeleteGroups: return f(std::type_identity<DeleteGroupsRequest>{});
    case ApiKey::kOffsetDelete: return f(std::type_identity<OffsetDeleteRequest>{});
    case ApiKey::kSaslHandshake: return f(std::type_identity<SaslHandshakeRequest>{});
    case ApiKey::kFindCoordinator: return f(std::type_identity<FindCoordinatorRequest>{});
    case ApiKey::kApiVersions: return f(std::type_identity<ApiVersionsRequest>{});
    case ApiKey::kCreateTopics: return f(std::type_identity<CreateTopicsRequest>{});
    case ApiKey::kDeleteTopics: return f(std::type_identity<DeleteTopicsRequest>{});
    case ApiKey::kInitProducerId: return f(std::type_identity<InitProducerIdRequest>{});
    case ApiKey::kDescribeConfigs: return f(std::type_identity<DescribeConfigsRequest>{});
    case ApiKey::kAlterConfigs: return f(std::type_identity<AlterConfigsRequest>{});
    case ApiKey::kDescribeLogDirs: return f(std::type_identity<DescribeLogDirsRequest>{});
    case ApiKey::kCreatePartitions: return f(std::type_identity<CreatePartitionsRequest>{});
    case ApiKey::kIncrementalAlterConfigs:
      return f(std::type_identity<IncrementalAlterConfigsRequest>{});
    case ApiKey::kAddPartitionsToTxn: return f(std::type_identity<AddPartitionsToTxnRequest>{});
    case ApiKey::kAddOffsetsToTxn: return f(std::type_identity<AddOffsetsToTxnRequest>{});
    case ApiKey::kEndTxn: return f(std::type_identity<EndTxnRequest>{});
    case ApiKey::kTxnOffsetCommit: return f(std::type_identity<TxnOffsetCommitRequest>{});
    case ApiKey::kDescribeTransactions:
      return f(std::type_identity<DescribeTransactionsRequest>{});
    case ApiKey::kListTransactions: return f(std::type_identity<ListTransactionsRequest>{});
    default: break;
  }
  throw DecodeError("API key " + std::to_string(int(key)) + " has no request type");
}

}  // namespace sluice::kafka
