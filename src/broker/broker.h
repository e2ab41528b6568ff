// The embedded Kafka-compatible broker: a TCP server speaking the Kafka wire protocol over
// a LogStore in the data dir. Constructing one ignores SIGPIPE process-wide (a client
// that leaves mid-response must not kill the process). All request handling runs on one thread (the one that calls
// run()), so handlers and the log need no locks; stop() may be called from any thread.
// fsyncs run on a flusher thread beside it (interval flushes, and the group commit of
// `--flush every-batch`: see GroupCommit).
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <memory>
#include <string>

#include "broker/broker_config.h"
#include "broker/fetch_waiters.h"
#include "broker/group_commit.h"
#include "broker/group/group_coordinator.h"
#include "broker/producer_id_allocator.h"
#include "broker/txn/transaction_coordinator.h"
#include "log/log_flusher.h"
#include "log/log_store.h"

namespace sluice::broker {

class Broker {
 public:
  /// Opens (and recovers) the data dir and binds the listening socket. Throws
  /// std::runtime_error with a message saying what to do when either fails.
  explicit Broker(BrokerConfig config);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Serves until stop(). Call from one thread.
  void run();
  /// Asks run() to return after closing the listener, sending the produce answers that wait
  /// for an fsync (at most 10 s more) and flushing every log. Thread-safe.
  void stop();

  uint16_t port() const { return port_; }
  const BrokerConfig& config() const { return config_; }
  const std::string& cluster_id() const { return cluster_id_; }
  const std::string& advertised_host() const { return advertised_host_; }
  log::LogStore& logs() { return *logs_; }
  FetchWaiters& fetch_waiters() { return waiters_; }
  group::GroupCoordinator& groups() { return *groups_; }
  ProducerIdAllocator& producer_ids() { return producer_ids_; }
  txn::TransactionCoordinator& transactions() { return *txns_; }
  asio::io_context& io() { return io_; }
  GroupCommit& group_commit() { return *group_commit_; }
  /// The flusher thread (thread-safe; tests look at what waits on it).
  log::LogFlusher& flusher() { return flusher_; }
  /// Produce answers deferred for an fsync, counted from dispatch until sent or dropped by
  /// their connection; stop() waits for them.
  void answer_pending() { ++pending_answers_; }
  void answer_done();

 private:
  void start_accept();
  void schedule_maintenance();
  /// Appends a transaction marker to a partition and wakes the fetches waiting on it.
  kafka::ErrorCode write_marker(const txn::TopicPartition& tp, int64_t producer_id,
                                int16_t epoch, bool commit);

  BrokerConfig config_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer maintenance_timer_;
  std::unique_ptr<log::LogStore> logs_;
  std::unique_ptr<GroupCommit> group_commit_;
  log::LogFlusher flusher_;  // fsyncs, off the request thread
  FetchWaiters waiters_;
  std::unique_ptr<group::GroupCoordinator> groups_;
  ProducerIdAllocator producer_ids_;
  std::unique_ptr<txn::TransactionCoordinator> txns_;
  std::string cluster_id_;
  std::string advertised_host_;
  uint16_t port_ = 0;
  // Retention first runs 30 s after start (Kafka's log.initial.task.delay.ms), then every
  // 30 s: records produced right after start are never deleted before anyone could read them.
  std::chrono::steady_clock::time_point last_retention_check_ = std::chrono::steady_clock::now();
  asio::steady_timer shutdown_timer_;
  size_t pending_answers_ = 0;
  bool running_ = false;   // in io_.run()
  bool stopping_ = false;  // stop() came: waiting for pending_answers_ to reach 0
};

}  // namespace sluice::broker
