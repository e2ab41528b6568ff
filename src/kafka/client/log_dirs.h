// The size on disk of each partition a broker holds, through Kafka's DescribeLogDirs API
// (key 35, v1), which librdkafka 2.0 does not offer: asked over a WireConnection of its own.
// Kafka >= 1.0, Redpanda and sluice's broker serve it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace sluice::kafka::client {

struct LogDirSizes {
  // (topic, partition) -> bytes of log segments, summed over the broker's log directories.
  std::map<std::pair<std::string, int32_t>, int64_t> partitions;
  // Every log directory of the broker, with its error (empty: none).
  std::map<std::string, std::string> dirs;
};

// Asks the broker at host:port for every partition's size. Throws std::runtime_error (naming
// the broker) when it cannot be reached, does not answer within `timeout` or does not serve
// DescribeLogDirs (Kafka closes the connection on an API it does not know).
LogDirSizes describe_log_dirs(const std::string& host, uint16_t port,
                              std::chrono::milliseconds timeout);

}  // namespace sluice::kafka::client
