#include "kafka/client/log_dirs.h"

#include "kafka/client/wire_connection.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/describe_log_dirs.h"

namespace sluice::kafka::client {

LogDirSizes describe_log_dirs(const std::string& host, uint16_t port,
                              std::chrono::milliseconds timeout) {
  WireConnection c(host, port, double(timeout.count()) / 1000.0, "sluice-dashboard");
  DescribeLogDirsRequest request;  // topics null: every partition
  auto response = c.call<DescribeLogDirsResponse>(ApiKey::kDescribeLogDirs, 1, request);
  LogDirSizes out;
  for (const auto& dir : response.results) {
    out.dirs[dir.log_dir] =
        dir.error_code ? std::string(error_name(ErrorCode(dir.error_code))) : std::string();
    if (dir.error_code) continue;
    for (const auto& t : dir.topics)
      for (const auto& p : t.partitions)
        if (!p.is_future_key) out.partitions[{t.name, p.partition_index}] += p.partition_size;
  }
  return out;
}

}  // namespace sluice::kafka::client
