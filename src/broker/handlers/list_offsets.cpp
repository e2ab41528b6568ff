// ListOffsets: the earliest or latest offset of a partition (latest is the last stable
// offset for read_committed), or the first offset whose timestamp is at least the one
// asked for.
#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/record_batch.h"

namespace sluice::broker {

using namespace sluice::kafka;

namespace {

/// Finds the first record >= ts in a compressed batch (the log cannot decompress).
std::optional<log::RecordTimestamp> first_record_in_compressed(std::span<const uint8_t> batch,
                                                               int64_t ts) {
  try {
    auto decoded = decode_batch(batch, size_t(64) << 20);
    for (const auto& record : decoded.records)
      if (record.timestamp >= ts) return log::RecordTimestamp{record.offset, record.timestamp};
  } catch (const DecodeError& e) {
    spdlog::warn("ListOffsets: cannot decode a stored batch ({}); answering with its base offset",
                 e.what());
  }
  return std::nullopt;
}

}  // namespace

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
        // read_committed consumers see up to the last stable offset only.
        part.offset = request.isolation_level == 1 ? partition->last_stable_offset()
                                                   : partition->high_watermark();
      } else if (want.timestamp == kEarliestTimestamp) {
        part.offset = partition->log_start_offset();
      } else {
        auto found = partition->offset_for_timestamp(want.timestamp, first_record_in_compressed);
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
