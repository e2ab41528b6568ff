// DescribeLogDirs: the broker's one log directory (--data-dir) and the size on disk of
// every partition in it (segments, indexes excluded: PartitionLog::size_bytes()).
#include <filesystem>
#include <system_error>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "kafka/protocol/errors.h"

namespace sluice::broker {

using namespace sluice::kafka;

namespace {

DescribeLogDirsResponse::Topic describe_topic(log::LogStore& logs, const std::string& name,
                                              const std::vector<int32_t>* wanted) {
  DescribeLogDirsResponse::Topic out;
  out.name = name;
  const int32_t count = logs.partition_count(name);
  auto add = [&](int32_t p) {
    if (auto* part = logs.partition(name, p))
      out.partitions.push_back({p, int64_t(part->size_bytes()), 0, false});
  };
  if (wanted)
    for (int32_t p : *wanted) {
      if (p >= 0 && p < count) add(p);
    }
  else
    for (int32_t p = 0; p < count; ++p) add(p);
  return out;
}

}  // namespace

DescribeLogDirsResponse handle(Broker& broker, DescribeLogDirsRequest& request,
                               const RequestContext&) {
  auto& logs = broker.logs();
  DescribeLogDirsResponse::Result dir;
  dir.log_dir = std::filesystem::absolute(logs.data_dir()).lexically_normal().string();
  if (!request.topics) {
    for (const auto& t : logs.topics()) dir.topics.push_back(describe_topic(logs, t.name, nullptr));
  } else {
    // Kafka leaves topics and partitions it does not hold out of the answer.
    for (const auto& t : *request.topics)
      if (logs.partition_count(t.topic) > 0) {
        auto described = describe_topic(logs, t.topic, &t.partitions);
        if (!described.partitions.empty()) dir.topics.push_back(std::move(described));
      }
  }
  std::error_code ec;
  auto space = std::filesystem::space(logs.data_dir(), ec);
  if (!ec) {
    dir.total_bytes = int64_t(space.capacity);
    dir.usable_bytes = int64_t(space.available);
  }
  DescribeLogDirsResponse response;
  response.results.push_back(std::move(dir));
  return response;
}

}  // namespace sluice::broker
