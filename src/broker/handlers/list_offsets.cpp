// ListOffsets: the earliest or latest offset of a partition, or the first offset whose
// timestamp is at least the one asked for.
#include "broker/broker.h"
#include "broker/handlers.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

ListOffsetsResponse handle(Broker& broker, ListOffsetsRequest& request, const RequestContext& ctx) {
  ListOffsetsResponse response;
  for (const auto& topic : request.topics) {
    ListOffsetsResponse::Topic out{topic.name, {}};
    for (const auto& want : topic.partitions) {
      ListOffsetsResponse::Partition part;
      part.partition_index = want.partition_index;
      log::PartitionLog* partition = broker.logs().partition(topic.name, want.partition_index);
      if (!partition) {
        part.error_code = code(ErrorCode::kUnknownTopicOrPartition);
      } else if (want.timestamp == kLatestTimestamp) {
        part.offset = partition->log_end_offset();
      } else if (want.timestamp == kEarliestTimestamp) {
        part.offset = partition->log_start_offset();
      } else {
        auto found = partition->offset_for_timestamp(want.timestamp);
        part.offset = found.offset;
        part.timestamp = found.timestamp;
      }
      if (part.error_code == 0 && ctx.version() == 0) part.old_style_offsets = {part.offset};
      if (part.error_code == 0 && part.offset >= 0) part.leader_epoch = 0;
      out.partitions.push_back(std::move(part));
    }
    response.topics.push_back(std::move(out));
  }
  return response;
}

}  // namespace sluice::broker
