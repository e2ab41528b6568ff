#include "broker/broker.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <csignal>
#include <fstream>
#include <random>

#include "broker/connection.h"
#include "broker/log_errors.h"
#include "common/clock.h"
#include "kafka/protocol/record_batch.h"

namespace sluice::broker {
namespace {

using asio::ip::tcp;

/// The cluster id in <data-dir>/meta.properties, created on first start (as Kafka's).
std::string load_or_create_cluster_id(const std::filesystem::path& dir) {
  auto path = dir / "meta.properties";
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("cluster.id=", 0) == 0) return line.substr(11);
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 22; ++i) id += kAlphabet[rd() % 64];
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "version=1\ncluster.id=" << id << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
  return id;
}

}  // namespace

Broker::Broker(BrokerConfig config)
    : config_(std::move(config)),
      acceptor_(io_),
      maintenance_timer_(io_),
      flusher_(config_.fsync),
      producer_ids_(config_.data_dir),
      shutdown_timer_(io_) {
  // sendfile() to a socket the client has closed raises SIGPIPE, whose default action
  // would kill the whole process; the failed call's EPIPE is handled per connection.
  ::signal(SIGPIPE, SIG_IGN);
  std::error_code fs_error;
  std::filesystem::create_directories(config_.data_dir, fs_error);
  if (fs_error)
    throw std::runtime_error("cannot create data dir " + config_.data_dir.string() + ": " +
                             fs_error.message());
  auto opened = log::LogStore::open(config_.data_dir, config_.log);
  if (!opened.ok())
    throw std::runtime_error("cannot open data dir " + config_.data_dir.string() + ": " +
                             opened.message());
  logs_ = std::move(opened.store);
  group_commit_ = std::make_unique<GroupCommit>(io_, *logs_, flusher_, waiters_);
  cluster_id_ = load_or_create_cluster_id(config_.data_dir);
  auto offsets = group::OffsetStore::open(config_.data_dir / "__consumer_offsets", config_.log.flush);
  if (!offsets.ok())
    throw std::runtime_error("cannot open the committed offsets in " + config_.data_dir.string() +
                             ": " + offsets.status.message);
  groups_ = std::make_unique<group::GroupCoordinator>(
      config_.groups, std::move(offsets.store),
      [this](std::string_view topic, int32_t partition) {
        return logs_->partition(topic, partition) != nullptr;
      });
  auto txn_log = txn::TransactionLog::open(config_.data_dir / "__transaction_state",
                                           config_.log.flush);
  if (!txn_log.ok())
    throw std::runtime_error("cannot open the transaction state in " +
                             config_.data_dir.string() + ": " + txn_log.status.message);
  txn::TxnEnvironment env;
  env.allocate_producer_id = [this](std::string& error) { return producer_ids_.next(error); };
  env.partition_exists = [this](const txn::TopicPartition& tp) {
    return logs_->partition(tp.first, tp.second) != nullptr;
  };
  env.write_marker = [this](const txn::TopicPartition& tp, int64_t pid, int16_t epoch,
                            bool commit) { return write_marker(tp, pid, epoch, commit); };
  env.commit_offsets = [this](const std::string& group,
                              const std::map<txn::TopicPartition, txn::PendingOffset>& offsets) {
    std::vector<group::OffsetStore::Entry> entries;
    const int64_t now = wall_clock_ms();
    for (const auto& [tp, o] : offsets)
      entries.push_back({tp.first, tp.second, {o.offset, o.leader_epoch, o.metadata, now}});
    return groups_->commit_transactional_offsets(group, entries).ok();
  };
  env.open_partition_transactions = [this] {
    std::vector<txn::PartitionOpenTxn> out;
    for (const auto& topic : logs_->topics())
      for (int32_t p = 0; p < topic.partitions; ++p)
        if (auto* log = logs_->partition(topic.name, p))
          for (const auto& open : log->open_transactions())
            out.push_back({{topic.name, p}, open.producer_id, open.producer_epoch, open.first_offset});
    return out;
  };
  txns_ = std::make_unique<txn::TransactionCoordinator>(txn::TxnConfig{}, std::move(txn_log.log),
                                                        std::move(env));

  asio::error_code ec;
  auto address = asio::ip::make_address(config_.listen_host, ec);
  if (ec) throw std::runtime_error("bad listen address '" + config_.listen_host + "'");
  tcp::endpoint endpoint(address, config_.listen_port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + config_.listen_host + ":" +
                             std::to_string(config_.listen_port) + ": " + ec.message() +
                             " (is another broker running? pick another port with --listen)");
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  advertised_host_ = config_.advertised_host.empty() ? config_.listen_host : config_.advertised_host;
  if (advertised_host_ == "0.0.0.0") advertised_host_ = "127.0.0.1";
}

Broker::~Broker() = default;

kafka::ErrorCode Broker::write_marker(const txn::TopicPartition& tp, int64_t producer_id,
                                      int16_t epoch, bool commit) {
  log::PartitionLog* partition = logs_->partition(tp.first, tp.second);
  if (!partition) return kafka::ErrorCode::kUnknownTopicOrPartition;
  // Control record: key = version 0 | type (0 abort, 1 commit); value = version 0 |
  // coordinator epoch 0.
  const char key[4] = {0, 0, 0, char(commit ? 1 : 0)};
  const char value[6] = {0, 0, 0, 0, 0, 0};
  std::string batch = kafka::RecordBatchBuilder()
                          .producer(producer_id, epoch, -1)
                          .transactional()
                          .control()
                          .add(wall_clock_ms(), std::string_view(key, 4), std::string_view(value, 6))
                          .build();
  auto appended = partition->append(
      {reinterpret_cast<uint8_t*>(batch.data()), batch.size()}, wall_clock_ms());
  if (!appended.ok()) {
    spdlog::error("{} marker of producer {} epoch {} refused by {}-{}: {}",
                  commit ? "commit" : "abort", producer_id, epoch, tp.first, tp.second,
                  appended.message());
    return to_kafka_error(appended.status);
  }
  waiters_.notify(FetchWaiters::key(tp.first, tp.second));
  return kafka::ErrorCode::kNone;
}

void Broker::start_accept() {
  acceptor_.async_accept([this](asio::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        spdlog::warn("accept failed: {}", ec.message());
        start_accept();
      }
      return;
    }
    asio::co_spawn(io_, serve_connection(*this, std::move(socket)), asio::detached);
    start_accept();
  });
}

void Broker::schedule_maintenance() {
  // Flushes logs whose interval is due, and now and then applies retention.
  maintenance_timer_.expires_after(std::chrono::milliseconds(10));
  maintenance_timer_.async_wait([this](asio::error_code ec) {
    if (ec) return;
    const int64_t now_ms = wall_clock_ms();
    logs_->flush_if_due(now_ms, flusher_);  // the fsyncs run on the flusher's thread
    groups_->flush_if_due(now_ms, flusher_);
    txns_->flush_if_due(now_ms);
    auto steady = std::chrono::steady_clock::now();
    if (steady - last_retention_check_ > std::chrono::seconds(30)) {
      last_retention_check_ = steady;
      logs_->apply_retention(now_ms);
    }
    schedule_maintenance();
  });
}

void Broker::run() {
  spdlog::info("sluice broker listening on {}:{} (data dir {}, cluster id {})",
               config_.listen_host, port_, config_.data_dir.string(), cluster_id_);
  start_accept();
  schedule_maintenance();
  groups_->run_timers(io_.get_executor());
  txns_->run_timers(io_.get_executor());
  running_ = true;
  io_.run();
  running_ = false;
  flusher_.drain();
  logs_->flush_all();
  groups_->flush();
  txns_->flush();
  spdlog::info("sluice broker stopped");
}

void Broker::stop() {
  asio::post(io_, [this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
    maintenance_timer_.cancel();
    stopping_ = true;
    if (pending_answers_ == 0) {
      io_.stop();
      return;
    }
    spdlog::info("stopping: {} produce answer(s) wait for their fsync", pending_answers_);
    shutdown_timer_.expires_after(std::chrono::seconds(10));
    shutdown_timer_.async_wait([this](asio::error_code ec) {
      if (ec) return;
      spdlog::warn("stopping with {} produce answer(s) unsent: their fsync took over 10 s",
                   pending_answers_);
      io_.stop();
    });
  });
}

void Broker::answer_done() {
  --pending_answers_;
  if (pending_answers_ == 0 && stopping_ && running_) {
    shutdown_timer_.cancel();
    io_.stop();
  }
}

}  // namespace sluice::broker
