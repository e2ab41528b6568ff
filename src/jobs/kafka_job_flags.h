// The flags every Kafka job of JOBS.md shares and what they imply, in one place:
//   Kafka:        --bootstrap-servers, --group-id, --starting-offsets, --bounded
//   engine:       --parallelism, --checkpoint-interval, --checkpoint-dir, --from-savepoint,
//                 --allow-non-restored-state, --state-backend
//   Kafka:        --on-bad-record dead-letter|fail (a record the job cannot read goes to its
//                 dead-letter topic, or fails the job)
//   sinks:        --delivery-guarantee at-least-once|exactly-once, --transactional-id-prefix
// A job registers them with add_to(), applies the engine side with configure(env) and builds
// its Kafka sources and sinks with source() and sink(), which carry the rest. Contradictions
// (exactly-once without checkpoints, an interval without a directory, a backend this build
// lacks) are refused when the command line is parsed.
// A plain value filled by CLI11 while parsing; read afterwards on one thread.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "sluice/kafka_sink.h"
#include "sluice/kafka_source.h"
#include "sluice/stream_environment.h"

namespace sluice::jobs {

struct KafkaJobFlags {
  std::string job_name;
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string group_id;  // default: the job's name
  std::string starting_offsets = "committed";
  bool bounded = false;
  int parallelism = 1;
  Duration checkpoint_interval{0};  // 0: no periodic checkpoints
  std::string checkpoint_dir;
  std::string from_savepoint;
  bool allow_non_restored_state = false;
  std::string delivery_guarantee = "at-least-once";
  std::string state_backend = "heap";
  std::string on_bad_record = "dead-letter";  // or "fail"
  std::string transactional_id_prefix;  // default: sluice-<job name>

  // Registers the flags and their parse-time checks; `job_name` is the default group id.
  void add_to(CLI::App& app, const std::string& job_name);
  // Throws CLI::ValidationError for flags that contradict each other (add_to runs it once
  // the command line is parsed).
  void validate() const;
  StartingOffsets offsets() const;
  bool checkpointing() const { return checkpoint_interval.count() > 0; }
  DeliveryGuarantee guarantee() const;

  // The engine side: parallelism, periodic checkpoints, the savepoint to start from. Call it
  // before source() and sink(): they refuse checkpoint flags that were never applied.
  void configure(StreamEnvironment& env) const;

  // A source builder for `topic` with these settings and the given deserializer. With
  // checkpoints, offsets go to the group only when a checkpoint completes.
  template <class T>
  typename KafkaSource<T>::Builder source(const std::string& topic, KafkaDeserializer<T> deserializer) const {
    require_configured();
    auto builder = KafkaSource<T>::builder();
    builder.bootstrap_servers(bootstrap_servers)
        .topic(topic)
        .group_id(group_id)
        .starting_offsets(offsets())
        .bounded(bounded)
        .commit_offsets_on_checkpoints(checkpointing())
        .fail_on_bad_record(on_bad_record == "fail")
        .deserializer(std::move(deserializer));
    return builder;
  }

  // A sink builder for `topic` with the delivery guarantee. Exactly-once: each sink's
  // transactional id is "<prefix>-<topic>" ("-2", "-3" ... for further sinks to the same
  // topic), stable across runs of the same job with the same flags.
  template <class T>
  typename KafkaSink<T>::Builder sink(const std::string& topic) const {
    require_configured();
    auto builder = KafkaSink<T>::builder();
    builder.bootstrap_servers(bootstrap_servers).topic(topic).delivery_guarantee(guarantee());
    if (guarantee() == DeliveryGuarantee::exactly_once) builder.transactional_id_prefix(transactional_id(topic));
    return builder;
  }

 private:
  std::string transactional_id(const std::string& topic) const;
  // Throws std::logic_error when checkpoint flags were given and configure() never ran (a
  // job that would silently run without the checkpoints asked for).
  void require_configured() const;
  mutable std::map<std::string, int> sinks_per_topic_;
  mutable bool configured_ = false;
};

}  // namespace sluice::jobs
