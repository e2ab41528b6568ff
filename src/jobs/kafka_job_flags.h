// The flags every Kafka job of JOBS.md shares (--bootstrap-servers, --group-id,
// --starting-offsets, --bounded, --parallelism) and the source settings they imply.
// A plain value filled by CLI11 while parsing; read afterwards on one thread.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "sluice/kafka_source.h"

namespace sluice::jobs {

struct KafkaJobFlags {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string group_id;  // default: the job's name
  std::string starting_offsets = "committed";
  bool bounded = false;
  int parallelism = 1;

  // Registers the flags; `job_name` is the default group id.
  void add_to(CLI::App& app, const std::string& job_name);
  StartingOffsets offsets() const;
  // A source builder for `topic` with these settings and the given deserializer.
  template <class T>
  typename KafkaSource<T>::Builder source(const std::string& topic, KafkaDeserializer<T> deserializer) const {
    auto builder = KafkaSource<T>::builder();
    builder.bootstrap_servers(bootstrap_servers)
        .topic(topic)
        .group_id(group_id)
        .starting_offsets(offsets())
        .bounded(bounded)
        .deserializer(std::move(deserializer));
    return builder;
  }
};

}  // namespace sluice::jobs
