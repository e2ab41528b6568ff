// Fetch: whole record batches straight from the log files (sent with sendfile), waiting
// up to max_wait_ms for min_bytes. The response holds at most max_bytes, except that the
// first batch found is always returned whole so a large record can never block a
// consumer (KIP-74).
#include <spdlog/spdlog.h>

#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/log_errors.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

namespace {

/// One pass over the requested partitions. Returns the bytes of records gathered.
size_t collect(Broker& broker, const FetchRequest& request, FetchResponse& response) {
  response.responses.clear();
  size_t total = 0;
  const size_t max_total = request.max_bytes > 0 ? size_t(request.max_bytes) : 0;
  for (const auto& topic : request.topics) {
    FetchResponse::Topic out{topic.topic, {}};
    for (const auto& want : topic.partitions) {
      FetchResponse::Partition part;
      part.partition_index = want.partition;
      log::PartitionLog* partition = broker.logs().partition(topic.topic, want.partition);
      if (!partition) {
        part.error_code = code(ErrorCode::kUnknownTopicOrPartition);
        out.partitions.push_back(std::move(part));
        continue;
      }
      // Only what is durable is visible: under --flush every-batch the high watermark
      // trails the log end offset by the appends whose fsync is not done yet.
      const int64_t end = partition->log_end_offset();
      const int64_t hw = partition->high_watermark();
      const int64_t lso = partition->last_stable_offset();
      const bool read_committed = request.isolation_level == 1;
      part.high_watermark = hw;
      part.last_stable_offset = lso;
      part.log_start_offset = partition->log_start_offset();
      if (read_committed) part.aborted_transactions.emplace();
      const int64_t upper = read_committed ? lso : hw;
      if (want.fetch_offset < part.log_start_offset || want.fetch_offset > end) {
        part.error_code = code(ErrorCode::kOffsetOutOfRange);
        out.partitions.push_back(std::move(part));
        continue;
      }
      size_t budget = want.partition_max_bytes > 0 ? size_t(want.partition_max_bytes) : 0;
      if (max_total > 0) budget = std::min(budget, max_total > total ? max_total - total : 0);
      if (want.fetch_offset < upper && (budget > 0 || total == 0)) {
        // With nothing gathered yet, at least one whole batch goes out whatever the budget.
        auto read =
            partition->read(want.fetch_offset, uint32_t(std::max<size_t>(budget, 1)), upper);
        if (read.ok()) {
          for (auto& range : read.ranges) {
            total += range.length;
            part.records.pieces.emplace_back(std::move(range));
          }
          if (read_committed && read.bytes > 0)
            for (const auto& t : partition->aborted_transactions(want.fetch_offset, upper))
              part.aborted_transactions->push_back({t.producer_id, t.first_offset});
        } else {
          part.error_code = code(to_kafka_error(read.status));
        }
      }
      out.partitions.push_back(std::move(part));
    }
    response.responses.push_back(std::move(out));
  }
  return total;
}

}  // namespace

asio::awaitable<FetchResponse> handle(Broker& broker, FetchRequest& request,
                                      const RequestContext& ctx) {
  using clock = std::chrono::steady_clock;
  FetchResponse response;
  response.session_id = 0;  // we keep no fetch sessions: clients send full requests
  const auto deadline = clock::now() + std::chrono::milliseconds(std::max(0, request.max_wait_ms));
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::vector<std::string> keys;
  for (const auto& t : request.topics)
    for (const auto& p : t.partitions) keys.push_back(FetchWaiters::key(t.topic, p.partition));

  for (;;) {
    size_t bytes = collect(broker, request, response);
    bool any_error = false;
    for (const auto& t : response.responses)
      for (const auto& p : t.partitions) any_error |= p.error_code != 0;
    if (bytes >= size_t(std::max(1, request.min_bytes)) || any_error || clock::now() >= deadline)
      co_return response;
    timer.expires_at(deadline);
    for (const auto& k : keys) broker.fetch_waiters().add(k, &timer);
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    for (const auto& k : keys) broker.fetch_waiters().remove(k, &timer);
  }
}

}  // namespace sluice::broker
