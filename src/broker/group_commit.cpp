#include "broker/group_commit.h"

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace sluice::broker {

void GroupCommit::sync(const std::string& topic, int32_t partition, log::PartitionLog& log) {
  auto pending = log.take_sync();
  if (!pending.file) return;
  flusher_.sync(std::move(pending.file),
                [&io = io_, this, topic, partition, id = log.id(), end = pending.end_offset](
                    const log::Status& status) {
                  // On the flusher's thread: hand the result to the request thread.
                  asio::post(io, [this, topic, partition, id, end, status] {
                    auto* log = logs_.partition(topic, partition);
                    if (log && log->id() == id) log->complete_sync(end, status);
                    waiters_.notify(FetchWaiters::key(topic, partition));
                  });
                });
}

asio::awaitable<kafka::ErrorCode> GroupCommit::wait(std::string topic, int32_t partition,
                                                    uint64_t log_id, int64_t end_offset,
                                                    std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = timeout.count() > 0 ? clock::now() + timeout : clock::time_point::max();
  const std::string key = FetchWaiters::key(topic, partition);
  asio::steady_timer timer(io_);
  for (;;) {
    const auto* log = logs_.partition(topic, partition);
    if (!log || log->id() != log_id) co_return kafka::ErrorCode::kUnknownTopicOrPartition;
    if (log->high_watermark() >= end_offset) co_return kafka::ErrorCode::kNone;
    if (!log->failure().ok()) co_return kafka::ErrorCode::kKafkaStorageError;
    if (clock::now() >= deadline) co_return kafka::ErrorCode::kRequestTimedOut;
    timer.expires_at(deadline);
    waiters_.add(key, &timer);
    asio::error_code ec;  // cancelled: woken by a completion
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    waiters_.remove(key, &timer);
  }
}

}  // namespace sluice::broker
