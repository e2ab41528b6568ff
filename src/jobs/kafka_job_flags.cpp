#include "jobs/kafka_job_flags.h"

namespace sluice::jobs {

void KafkaJobFlags::add_to(CLI::App& app, const std::string& job_name) {
  group_id = job_name;
  app.add_option("--bootstrap-servers,--bootstrapServers", bootstrap_servers, "Kafka brokers, host:port[,...]")
      ->capture_default_str();
  app.add_option("--group-id,--groupId", group_id, "consumer group for committed offsets")->capture_default_str();
  app.add_option("--starting-offsets", starting_offsets,
                 "where to start without a checkpoint: earliest, latest, or committed (earliest when none)")
      ->check(CLI::IsMember({"earliest", "latest", "committed"}))
      ->capture_default_str();
  app.add_flag("--bounded", bounded, "stop at the offsets current at start, firing every open window");
  app.add_option("--parallelism,-p", parallelism, "parallel subtasks per operator")
      ->check(CLI::Range(1, 128))
      ->capture_default_str();
}

StartingOffsets KafkaJobFlags::offsets() const {
  if (starting_offsets == "earliest") return StartingOffsets::earliest();
  if (starting_offsets == "latest") return StartingOffsets::latest();
  return StartingOffsets::committed();
}

}  // namespace sluice::jobs
