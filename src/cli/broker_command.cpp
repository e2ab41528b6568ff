// `sluice broker`: runs the embedded Kafka-compatible broker in the foreground until
// SIGINT or SIGTERM, then flushes every log and exits 0.
#include <spdlog/spdlog.h>

#include <asio/signal_set.hpp>

#include "broker/broker.h"
#include "cli/commands.h"
#include "cli/host_port.h"
#include "cli/ui_flags.h"

namespace sluice::cli {

void add_broker_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("broker", "Run the embedded Kafka-compatible broker");
  struct Options {
    std::string data_dir = "sluice-data";
    std::string listen = "127.0.0.1:9092";
    std::string advertised_host;
    int32_t partitions = 1;
    bool auto_create = true;
    std::string flush = "every-batch";
    int64_t retention_ms = 7LL * 24 * 3600 * 1000;
    int64_t retention_bytes = -1;
    int64_t segment_bytes = 1LL << 30;
    int32_t max_message_bytes = 1048588;
    std::string log_level = "info";
    UiFlags ui;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("--data-dir", opts->data_dir, "Directory of the topics' logs")
      ->capture_default_str();
  cmd->add_option("--listen", opts->listen, "Address to listen on (host:port; port 0 = any free)")
      ->capture_default_str();
  cmd->add_option("--advertised-host", opts->advertised_host,
                  "Host name given to clients (default: the listen host)");
  cmd->add_option("--partitions", opts->partitions, "Partitions of auto-created topics")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--auto-create-topics", opts->auto_create,
                  "Create unknown topics when clients ask for their metadata")
      ->capture_default_str();
  cmd->add_option("--flush", opts->flush,
                  "every-batch (fsync before acknowledging) or an interval such as 50ms")
      ->capture_default_str();
  cmd->add_option("--retention-ms", opts->retention_ms, "Default retention.ms (-1: forever)")
      ->capture_default_str();
  cmd->add_option("--retention-bytes", opts->retention_bytes,
                  "Default retention.bytes per partition (-1: unlimited)")
      ->capture_default_str();
  cmd->add_option("--segment-bytes", opts->segment_bytes, "Default segment.bytes")
      ->capture_default_str();
  cmd->add_option("--max-message-bytes", opts->max_message_bytes,
                  "Default max.message.bytes (largest record batch)")
      ->capture_default_str();
  cmd->add_option("--log-level", opts->log_level, "trace|debug|info|warn|error")
      ->capture_default_str();
  add_ui_options(*cmd, opts->ui);

  cmd->callback([opts] {
    spdlog::set_level(spdlog::level::from_str(opts->log_level));
    broker::BrokerConfig config;
    auto [host, port] = parse_host_port(opts->listen, 9092);
    config.listen_host = host;
    config.listen_port = port;
    config.advertised_host = opts->advertised_host;
    config.data_dir = opts->data_dir;
    config.default_partitions = opts->partitions;
    config.auto_create_topics = opts->auto_create;
    auto flush = log::FlushPolicy::parse(opts->flush);
    if (!flush) throw std::runtime_error("--flush: " + flush.error());
    config.log.flush = *flush;
    config.log.retention_ms = opts->retention_ms;
    config.log.retention_bytes = opts->retention_bytes;
    config.log.segment_bytes = opts->segment_bytes;
    config.log.max_message_bytes = opts->max_message_bytes;

    broker::Broker broker(config);
    asio::signal_set signals(broker.io(), SIGINT, SIGTERM);
    signals.async_wait([&broker](asio::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}: stopping", signal);
      broker.stop();
    });
    auto dashboard = start_dashboard(
        opts->ui, broker.advertised_host() + ":" + std::to_string(broker.port()), true);
    if (dashboard) spdlog::info("dashboard at {}", dashboard->url(true));
    broker.run();
    dashboard.reset();  // before the broker goes: its clients talk to it
  });
}

}  // namespace sluice::cli
