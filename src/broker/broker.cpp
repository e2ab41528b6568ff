#include "broker/broker.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <csignal>
#include <fstream>
#include <random>

#include "broker/connection.h"
#include "common/clock.h"

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
      producer_ids_(config_.data_dir) {
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
    logs_->flush_if_due(now_ms);
    groups_->flush_if_due(now_ms);
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
  io_.run();
  logs_->flush_all();
  groups_->flush();
  spdlog::info("sluice broker stopped");
}

void Broker::stop() {
  asio::post(io_, [this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
    maintenance_timer_.cancel();
    io_.stop();
  });
}

}  // namespace sluice::broker
