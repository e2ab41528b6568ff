// Produce: validate each partition's batches, append them to its log (which deduplicates
// idempotent producers' retries), wake waiting fetches. Batches are stored exactly as
// received once their CRC checks out; v0/v1 message sets are converted to one v2 batch
// first.
#include <spdlog/spdlog.h>

#include <chrono>

#include "common/clock.h"
#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/log_errors.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/legacy_message_set.h"
#include "kafka/protocol/record_batch.h"

namespace sluice::broker {

using namespace sluice::kafka;

namespace {

ProduceResponse::Partition produce_partition(Broker& broker, const std::string& topic,
                                             ProduceRequest::Partition& data,
                                             const RequestContext& ctx) {
  ProduceResponse::Partition out;
  out.index = data.index;
  auto fail = [&](ErrorCode e, std::string message) {
    out.error_code = code(e);
    spdlog::warn("produce to {}-{} from {} refused: {} ({})", topic, data.index, ctx.peer,
                 error_name(e), message);
    out.error_message = std::move(message);
    return out;
  };

  log::PartitionLog* partition = broker.logs().partition(topic, data.index);
  if (!partition) return fail(ErrorCode::kUnknownTopicOrPartition, "no such topic or partition");
  if (data.records.is_null || data.records.view.empty())
    return fail(ErrorCode::kCorruptMessage, "no records");

  const int64_t now = wall_clock_ms();
  const auto& config = partition->config();
  // The frame buffer is the connection's own: offsets are assigned in place.
  auto* bytes = reinterpret_cast<uint8_t*>(const_cast<char*>(data.records.view.data()));
  std::span<uint8_t> batches(bytes, data.records.view.size());
  std::string converted;
  if (is_legacy_message_set(batches)) {
    LegacyConvertOptions legacy_options;
    legacy_options.broker_time_ms = now;
    auto legacy = convert_legacy_to_v2(batches, legacy_options);
    if (!legacy.ok()) return fail(legacy.error, legacy.reason);
    converted = std::move(legacy.v2_batch);
    batches = {reinterpret_cast<uint8_t*>(converted.data()), converted.size()};
  }
  ValidateOptions options;
  options.max_batch_bytes = size_t(config.max_message_bytes);
  auto validation = validate_batches(batches, options);
  if (!validation.ok()) return fail(validation.error, validation.reason);
  if (validation.summary.any_transactional) {
    // Only into a partition the producer added to its ongoing transaction (as Kafka >= 3.6
    // verifies): else a stray transactional batch would hold the LSO back for good.
    const auto& first = validation.summary.first;
    if (first.producer_id != validation.summary.last.producer_id ||
        first.producer_epoch != validation.summary.last.producer_epoch)
      return fail(ErrorCode::kInvalidRecord, "transactional batches of several producers");
    ErrorCode e = broker.transactions().check_produce(first.producer_id, first.producer_epoch,
                                                      {topic, data.index});
    if (e != ErrorCode::kNone)
      return fail(e, "producer " + std::to_string(first.producer_id) + " epoch " +
                         std::to_string(first.producer_epoch) +
                         " has no ongoing transaction with this partition (AddPartitionsToTxn "
                         "first)");
  }

  // The log checks idempotent producers' sequences: a retry of a batch it holds comes
  // back as `duplicate` with the original offsets, acknowledged as Kafka does (no error).
  auto appended = partition->append(batches, now);
  if (!appended.ok()) return fail(to_kafka_error(appended.status), appended.message());
  out.base_offset = appended.base_offset;
  out.log_start_offset = partition->log_start_offset();
  if (appended.duplicate) {
    spdlog::debug("produce to {}-{} from {}: producer {} retried the batch at offset {}", topic,
                  data.index, ctx.peer, validation.summary.first.producer_id, appended.base_offset);
    return out;
  }
  broker.fetch_waiters().notify(FetchWaiters::key(topic, data.index));
  return out;
}

}  // namespace

ProduceResponse handle(Broker& broker, ProduceRequest& request, const RequestContext& ctx) {
  ProduceResponse response;
  bool acks_valid = request.acks == 0 || request.acks == 1 || request.acks == -1;
  for (auto& topic : request.topics) {
    ProduceResponse::Topic out{topic.name, {}};
    for (auto& data : topic.partitions) {
      if (!acks_valid) {
        ProduceResponse::Partition p;
        p.index = data.index;
        p.error_code = code(ErrorCode::kInvalidRequiredAcks);
        out.partitions.push_back(p);
        continue;
      }
      out.partitions.push_back(produce_partition(broker, topic.name, data, ctx));
    }
    response.responses.push_back(std::move(out));
  }
  return response;
}

}  // namespace sluice::broker
