// The flags every command that talks to Kafka takes: -b/--bootstrap-servers, -X key=value
// (any librdkafka property) and --timeout, bound to a ConnectionOptions.
#pragma once

#include <CLI/CLI.hpp>

#include "kafka/client/config.h"

namespace sluice::cli {

inline void add_connection_options(CLI::App& cmd, kafka::client::ConnectionOptions& c) {
  cmd.add_option("-b,--bootstrap-servers", c.bootstrap_servers, "Kafka brokers, host:port[,...]")
      ->capture_default_str();
  cmd.add_option("-X", c.properties, "librdkafka property key=value (repeatable)")
      ->allow_extra_args(false);
  cmd.add_option("--timeout", c.timeout_seconds, "seconds to wait for the cluster")
      ->capture_default_str();
}

}  // namespace sluice::cli
