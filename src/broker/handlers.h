// The handler of each Kafka API the broker serves, one function per request type. Each
// takes the decoded request and returns its response; those that wait (Fetch) are
// coroutines. They run on the broker's thread.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "kafka/protocol/messages.h"
#include "kafka/protocol/request_header.h"

namespace sluice::broker {

class Broker;

struct RequestContext {
  const kafka::RequestHeader& header;
  const std::string& peer;
  int16_t version() const { return header.api_version; }
};

kafka::ApiVersionsResponse handle(Broker&, kafka::ApiVersionsRequest&, const RequestContext&);
kafka::FindCoordinatorResponse handle(Broker&, kafka::FindCoordinatorRequest&,
                                      const RequestContext&);
kafka::SaslHandshakeResponse handle(Broker&, kafka::SaslHandshakeRequest&, const RequestContext&);
// Groups and committed offsets (handlers/group_*.cpp, over broker/group/).
asio::awaitable<kafka::JoinGroupResponse> handle(Broker&, kafka::JoinGroupRequest&,
                                                 const RequestContext&);
asio::awaitable<kafka::SyncGroupResponse> handle(Broker&, kafka::SyncGroupRequest&,
                                                 const RequestContext&);
kafka::HeartbeatResponse handle(Broker&, kafka::HeartbeatRequest&, const RequestContext&);
kafka::LeaveGroupResponse handle(Broker&, kafka::LeaveGroupRequest&, const RequestContext&);
kafka::OffsetCommitResponse handle(Broker&, kafka::OffsetCommitRequest&, const RequestContext&);
kafka::OffsetFetchResponse handle(Broker&, kafka::OffsetFetchRequest&, const RequestContext&);
kafka::OffsetDeleteResponse handle(Broker&, kafka::OffsetDeleteRequest&, const RequestContext&);
kafka::DescribeGroupsResponse handle(Broker&, kafka::DescribeGroupsRequest&,
                                     const RequestContext&);
kafka::ListGroupsResponse handle(Broker&, kafka::ListGroupsRequest&, const RequestContext&);
kafka::DeleteGroupsResponse handle(Broker&, kafka::DeleteGroupsRequest&, const RequestContext&);
kafka::MetadataResponse handle(Broker&, kafka::MetadataRequest&, const RequestContext&);
/// What a Produce did at once: the response, and the appends it must not acknowledge
/// before they are durable (under --flush every-batch; empty otherwise).
struct ProduceOutcome {
  struct Wait {
    std::string topic;
    int32_t partition = 0;
    uint64_t log_id = 0;     // PartitionLog::id() of the log appended to
    int64_t end_offset = 0;  // durable up to here (exclusive) before the answer
    size_t topic_index = 0, partition_index = 0;  // where in `response`
  };
  kafka::ProduceResponse response;
  std::vector<Wait> waits;
  std::chrono::milliseconds timeout{0};  // the request's timeout_ms
};
/// Appends (deferred under every-batch) and queues their fsyncs.
ProduceOutcome handle(Broker&, kafka::ProduceRequest&, const RequestContext&);
/// Waits for `outcome.waits`; their partitions get an error instead of an offset when the
/// data did not become durable (GroupCommit::wait). Then the response can be sent.
asio::awaitable<kafka::ProduceResponse> await_durable(Broker&, ProduceOutcome outcome);
asio::awaitable<kafka::FetchResponse> handle(Broker&, kafka::FetchRequest&,
                                             const RequestContext&);
kafka::ListOffsetsResponse handle(Broker&, kafka::ListOffsetsRequest&, const RequestContext&);
kafka::CreateTopicsResponse handle(Broker&, kafka::CreateTopicsRequest&, const RequestContext&);
kafka::DeleteTopicsResponse handle(Broker&, kafka::DeleteTopicsRequest&, const RequestContext&);
kafka::InitProducerIdResponse handle(Broker&, kafka::InitProducerIdRequest&,
                                     const RequestContext&);
// Transactions (handlers/transactions.cpp, over broker/txn/).
kafka::AddPartitionsToTxnResponse handle(Broker&, kafka::AddPartitionsToTxnRequest&,
                                         const RequestContext&);
kafka::AddOffsetsToTxnResponse handle(Broker&, kafka::AddOffsetsToTxnRequest&,
                                      const RequestContext&);
kafka::EndTxnResponse handle(Broker&, kafka::EndTxnRequest&, const RequestContext&);
kafka::TxnOffsetCommitResponse handle(Broker&, kafka::TxnOffsetCommitRequest&,
                                      const RequestContext&);
kafka::DescribeTransactionsResponse handle(Broker&, kafka::DescribeTransactionsRequest&,
                                           const RequestContext&);
kafka::ListTransactionsResponse handle(Broker&, kafka::ListTransactionsRequest&,
                                       const RequestContext&);
kafka::CreatePartitionsResponse handle(Broker&, kafka::CreatePartitionsRequest&,
                                       const RequestContext&);
kafka::DescribeConfigsResponse handle(Broker&, kafka::DescribeConfigsRequest&,
                                      const RequestContext&);
kafka::AlterConfigsResponse handle(Broker&, kafka::AlterConfigsRequest&, const RequestContext&);
kafka::DescribeLogDirsResponse handle(Broker&, kafka::DescribeLogDirsRequest&,
                                      const RequestContext&);
kafka::AlterConfigsResponse handle(Broker&, kafka::IncrementalAlterConfigsRequest&,
                                   const RequestContext&);

}  // namespace sluice::broker
