// AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeTransactions,
// ListTransactions: answered by the TransactionCoordinator (broker/txn/).
#include "broker/broker.h"
#include "broker/handlers.h"

namespace sluice::broker {

using namespace sluice::kafka;

AddPartitionsToTxnResponse handle(Broker& broker, AddPartitionsToTxnRequest& request,
                                  const RequestContext& ctx) {
  return broker.transactions().add_partitions(request, ctx.version());
}

AddOffsetsToTxnResponse handle(Broker& broker, AddOffsetsToTxnRequest& request,
                               const RequestContext& ctx) {
  AddOffsetsToTxnResponse out;
  out.error_code = code(broker.transactions().add_offsets(request, ctx.version()));
  return out;
}

EndTxnResponse handle(Broker& broker, EndTxnRequest& request, const RequestContext& ctx) {
  EndTxnResponse out;
  out.error_code = code(broker.transactions().end_txn(request, ctx.version()));
  return out;
}

TxnOffsetCommitResponse handle(Broker& broker, TxnOffsetCommitRequest& request,
                               const RequestContext& ctx) {
  return broker.transactions().txn_offset_commit(request, ctx.version());
}

DescribeTransactionsResponse handle(Broker& broker, DescribeTransactionsRequest& request,
                                    const RequestContext&) {
  return broker.transactions().describe(request);
}

ListTransactionsResponse handle(Broker& broker, ListTransactionsRequest& request,
                                const RequestContext&) {
  return broker.transactions().list(request);
}

}  // namespace sluice::broker
