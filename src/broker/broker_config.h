// The broker's settings, from `sluice broker` flags or from an embedding program.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "broker/group/consumer_group.h"
#include "log/log_config.h"
#include "log/log_flusher.h"

namespace sluice::broker {

struct BrokerConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9092;  // 0 picks a free port (see Broker::port())
  /// The address given to clients in Metadata; defaults to the listen address.
  std::string advertised_host;
  std::filesystem::path data_dir = "sluice-data";
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
  /// Largest request frame accepted; larger ones close the connection.
  int32_t max_request_bytes = 100 * 1024 * 1024;
  log::LogConfig log;  // defaults for every topic: retention, segment size, flush policy
  int32_t node_id = 0;
  group::GroupConfig groups;  // session timeout bounds, initial rebalance delay, ...
  /// How the broker's flusher thread fsyncs log files (null: log::sync_file). A seam for
  /// tests, which hold fsyncs back or make them fail.
  log::LogFlusher::SyncFunction fsync;
};

}  // namespace sluice::broker
