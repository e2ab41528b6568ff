// The handler of each Kafka API the broker serves, one function per request type. Each
// takes the decoded request and returns its response; those that wait (Fetch) are
// coroutines. They run on the broker's thread.
#pragma once

#include <asio/awaitable.hpp>
#include <string>

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
kafka::MetadataResponse handle(Broker&, kafka::MetadataRequest&, const RequestContext&);
kafka::ProduceResponse handle(Broker&, kafka::ProduceRequest&, const RequestContext&);
asio::awaitable<kafka::FetchResponse> handle(Broker&, kafka::FetchRequest&,
                                             const RequestContext&);
kafka::ListOffsetsResponse handle(Broker&, kafka::ListOffsetsRequest&, const RequestContext&);
kafka::CreateTopicsResponse handle(Broker&, kafka::CreateTopicsRequest&, const RequestContext&);
kafka::DeleteTopicsResponse handle(Broker&, kafka::DeleteTopicsRequest&, const RequestContext&);
kafka::CreatePartitionsResponse handle(Broker&, kafka::CreatePartitionsRequest&,
                                       const RequestContext&);
kafka::DescribeConfigsResponse handle(Broker&, kafka::DescribeConfigsRequest&,
                                      const RequestContext&);
kafka::AlterConfigsResponse handle(Broker&, kafka::AlterConfigsRequest&, const RequestContext&);
kafka::AlterConfigsResponse handle(Broker&, kafka::IncrementalAlterConfigsRequest&,
                                   const RequestContext&);

}  // namespace sluice::broker
