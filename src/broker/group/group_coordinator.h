// The group coordinator: every consumer group of the broker (their ConsumerGroup state
// machines), their committed offsets (OffsetStore) and the timer that drives session and
// rebalance timeouts. Takes decoded Kafka requests and produces their responses with
// Kafka's error codes; knows nothing of sockets.
//
// JoinGroup and SyncGroup answer through a callback, invoked exactly once, synchronously
// from this call or from a later one (or from the timer): the callback must not call back
// into the coordinator (the broker's handlers post the response to their coroutine).
// Groups exist while they have members or committed offsets; an Empty group without
// offsets is forgotten after GroupConfig::empty_group_retention_ms, or at once when its
// last offsets are deleted (DescribeGroups then says Dead, as Kafka does for an unknown
// group). Membership is not persisted: after a restart members rejoin.
//
// Time is read from the Clock (monotonic ms); run_timers() arms an asio steady_timer for
// the next deadline, which needs the default (steady_clock) clock. Tests may instead give
// a fake clock and call expire_due(). Not thread-safe: one thread (the broker's) only.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/group/consumer_group.h"
#include "broker/group/offset_store.h"
#include "log/log_flusher.h"
#include "kafka/protocol/messages.h"

namespace sluice::broker::group {

/// Who sent a request, as DescribeGroups reports members.
struct ClientInfo {
  std::string client_id;
  std::string client_host;  // Kafka's form: "/127.0.0.1"
};

class GroupCoordinator {
 public:
  using Clock = std::function<int64_t()>;
  /// Whether a topic partition exists (commits to others are UNKNOWN_TOPIC_OR_PARTITION).
  using PartitionExists = std::function<bool(std::string_view topic, int32_t partition)>;

  GroupCoordinator(GroupConfig config, std::unique_ptr<OffsetStore> offsets,
                   PartitionExists partition_exists, Clock clock = {});
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  /// Drives the timeouts with a steady_timer on `executor` from now on.
  void run_timers(asio::any_io_executor executor);

  void join(const kafka::JoinGroupRequest& request, int16_t version, const ClientInfo& client,
            std::function<void(kafka::JoinGroupResponse)> done);
  void sync(const kafka::SyncGroupRequest& request,
            std::function<void(kafka::SyncGroupResponse)> done);
  kafka::HeartbeatResponse heartbeat(const kafka::HeartbeatRequest& request);
  kafka::LeaveGroupResponse leave(const kafka::LeaveGroupRequest& request, int16_t version);

  kafka::OffsetCommitResponse commit_offsets(const kafka::OffsetCommitRequest& request,
                                             int16_t version);
  /// Stores offsets a transaction committed (TxnOffsetCommit, applied at its commit):
  /// no member or generation check, as Kafka materializes them at the commit marker.
  log::Status commit_transactional_offsets(std::string_view group_id,
                                           const std::vector<OffsetStore::Entry>& entries);
  kafka::OffsetFetchResponse fetch_offsets(const kafka::OffsetFetchRequest& request,
                                           int16_t version);
  kafka::OffsetDeleteResponse delete_offsets(const kafka::OffsetDeleteRequest& request);

  kafka::DescribeGroupsResponse describe(const kafka::DescribeGroupsRequest& request);
  kafka::ListGroupsResponse list() const;
  kafka::DeleteGroupsResponse delete_groups(const kafka::DeleteGroupsRequest& request);

  /// A topic was deleted: every group's committed offsets of it go too (as in Kafka).
  void on_topic_deleted(std::string_view topic);

  /// Applies the session and rebalance timeouts due now.
  void expire_due();
  /// The earliest deadline of any group.
  std::optional<int64_t> next_deadline() const;

  /// fsync the offsets when the flush interval says so / now (at shutdown).
  void flush_if_due(int64_t wall_now_ms);
  /// The same, with the fsync on `flusher`'s thread (returns at once).
  void flush_if_due(int64_t wall_now_ms, log::LogFlusher& flusher);
  void flush();

  /// A group's state for tools and the dashboard; nullptr when it has no members.
  const ConsumerGroup* find(std::string_view group_id) const;
  const OffsetStore& offsets() const { return *offsets_; }

 private:
  int64_t now() const { return clock_(); }
  ConsumerGroup* find_mutable(std::string_view group_id);
  /// Forgets the group if it is Dead, or Empty, idle and without offsets for the
  /// retention (at once with `force`); re-arms the timer.
  void after_change(std::string_view group_id, bool force = false);
  void rearm();

  GroupConfig config_;
  std::unique_ptr<OffsetStore> offsets_;
  PartitionExists partition_exists_;
  Clock clock_;
  std::map<std::string, std::unique_ptr<ConsumerGroup>, std::less<>> groups_;
  std::map<std::string, int64_t, std::less<>> empty_since_;  // Empty groups without offsets
  std::optional<asio::steady_timer> timer_;
  std::optional<int64_t> armed_for_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::broker::group
