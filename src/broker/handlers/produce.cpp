// Produce: validate each partition's batches, append them to its log (which deduplicates
// idempotent producers' retries), wake waiting fetches. Batches are stored exactly as
// received once their CRC checks out; v0/v1 message sets are converted to one v2 batch
// first. Under `--flush every-batch` the appends are deferred (group commit, see
// GroupCommit): the answer waits in await_durable() until they are fsynced, and the
// fetches are woken then.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

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
                                             const RequestContext& ctx,
                                             std::optional<ProduceOutcome::Wait>& wait) {
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
  auto appended = partition->append_deferred(batches, now);
  if (!appended.ok()) return fail(to_kafka_error(appended.status), appended.message());
  out.base_offset = appended.base_offset;
  out.log_start_offset = partition->log_start_offset();
  // A retry of a batch whose first append still waits for its fsync waits for it too.
  if (partition->high_watermark() <= appended.last_offset)
    wait = ProduceOutcome::Wait{topic, data.index, partition->id(), appended.last_offset + 1};
  if (appended.duplicate) {
    spdlog::debug("produce to {}-{} from {}: producer {} retried the batch at offset {}", topic,
                  data.index, ctx.peer, validation.summary.first.producer_id, appended.base_offset);
    return out;
  }
  if (wait)
    broker.group_commit().sync(topic, data.index, *partition);  // fetches woken when durable
  else
    broker.fetch_waiters().notify(FetchWaiters::key(topic, data.index));
  return out;
}

}  // namespace

ProduceOutcome handle(Broker& broker, ProduceRequest& request, const RequestContext& ctx) {
  ProduceOutcome outcome;
  outcome.timeout = std::chrono::milliseconds(request.timeout_ms);
  ProduceResponse& response = outcome.response;
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
      std::optional<ProduceOutcome::Wait> wait;
      out.partitions.push_back(produce_partition(broker, topic.name, data, ctx, wait));
      if (wait) {
        wait->topic_index = response.responses.size();
        wait->partition_index = out.partitions.size() - 1;
        outcome.waits.push_back(std::move(*wait));
      }
    }
    response.responses.push_back(std::move(out));
  }
  return outcome;
}

asio::awaitable<ProduceResponse> await_durable(Broker& broker, ProduceOutcome outcome) {
  for (const auto& w : outcome.waits) {
    ErrorCode e = co_await broker.group_commit().wait(w.topic, w.partition, w.log_id,
                                                      w.end_offset, outcome.timeout);
    if (e == ErrorCode::kNone) continue;
    auto& p = outcome.response.responses.at(w.topic_index).partitions.at(w.partition_index);
    p.error_code = code(e);
    p.base_offset = -1;
    p.error_message = fmt::format("offsets up to {} were appended but not made durable: {}",
                                  w.end_offset - 1, error_name(e));
    spdlog::warn("produce to {}-{}: {}", w.topic, w.partition, *p.error_message);
  }
  co_return std::move(outcome.response);
}

}  // namespace sluice::broker
