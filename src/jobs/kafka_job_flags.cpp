#include "jobs/kafka_job_flags.h"

#include "jobs/duration_option.h"

#include <stdexcept>

namespace sluice::jobs {

namespace {
// Whether this build's StreamEnvironment has the RocksDB state backend (set_state_backend with
// a StateBackend::rocksdb), found without naming it, so that the flag works as soon as it lands.
template <class Env>
constexpr bool kHasRocksdb = requires(Env& env) {
  env.set_state_backend(decltype(env.config().state_backend.kind)::rocksdb);
};

template <class Env>
void use_rocksdb(Env& env) {
  if constexpr (kHasRocksdb<Env>) env.set_state_backend(decltype(env.config().state_backend.kind)::rocksdb);
}
}  // namespace

void KafkaJobFlags::add_to(CLI::App& app, const std::string& name) {
  job_name = name;
  group_id = name;
  transactional_id_prefix = "sluice-" + name;
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
  add_duration_option(app, "--checkpoint-interval", checkpoint_interval,
                      "take a checkpoint this often (e.g. 2s; needs --checkpoint-dir); 0: none");
  app.add_option("--checkpoint-dir", checkpoint_dir,
                 "where checkpoints go; a job started on a directory with checkpoints resumes from the newest");
  app.add_option("--from-savepoint", from_savepoint, "start from this savepoint (or checkpoint) directory");
  app.add_flag("--allow-non-restored-state", allow_non_restored_state,
               "start even when the savepoint holds state of operators this job no longer has (it is dropped)");
  app.add_option("--delivery-guarantee", delivery_guarantee,
                 "Kafka sinks: at-least-once, or exactly-once (transactions committed with each checkpoint; "
                 "read the output with isolation.level=read_committed)")
      ->check(CLI::IsMember({"at-least-once", "exactly-once"}))
      ->capture_default_str();
  app.add_option("--transactional-id-prefix", transactional_id_prefix,
                 "exactly-once: the sinks' transactional ids are <prefix>-<topic>; unique per job, stable across runs")
      ->capture_default_str();
  app.add_option("--state-backend", state_backend, "where keyed state lives: heap or rocksdb")
      ->check(CLI::IsMember({"heap", "rocksdb"}))
      ->capture_default_str();
  app.add_option("--on-bad-record", on_bad_record,
                 "a record the job cannot read (not JSON, a field missing): dead-letter (to the job's dead-letter "
                 "topic; the job goes on) or fail (the job fails, naming the record's partition and offset)")
      ->check(CLI::IsMember({"dead-letter", "fail"}))
      ->capture_default_str();
  app.parse_complete_callback([this] { validate(); });
}

void KafkaJobFlags::validate() const {
  if (checkpointing() && checkpoint_dir.empty())
    throw CLI::ValidationError("--checkpoint-interval", "periodic checkpoints need a directory: add --checkpoint-dir DIR");
  if (!checkpoint_dir.empty() && !checkpointing())
    throw CLI::ValidationError("--checkpoint-dir",
                               "a checkpoint directory needs an interval: add --checkpoint-interval (e.g. 2s)");
  if (guarantee() == DeliveryGuarantee::exactly_once && !checkpointing())
    throw CLI::ValidationError("--delivery-guarantee",
                               "exactly-once commits the sinks' transactions with each checkpoint: add "
                               "--checkpoint-interval (e.g. 2s) and --checkpoint-dir DIR");
  if (guarantee() == DeliveryGuarantee::exactly_once && transactional_id_prefix.empty())
    throw CLI::ValidationError("--transactional-id-prefix", "exactly-once needs a non-empty transactional id prefix");
  if (state_backend == "rocksdb" && !kHasRocksdb<StreamEnvironment>)
    throw CLI::ValidationError("--state-backend",
                               "the RocksDB state backend is not available in this build yet; use --state-backend heap");
}

StartingOffsets KafkaJobFlags::offsets() const {
  if (starting_offsets == "earliest") return StartingOffsets::earliest();
  if (starting_offsets == "latest") return StartingOffsets::latest();
  return StartingOffsets::committed();
}

DeliveryGuarantee KafkaJobFlags::guarantee() const {
  return delivery_guarantee == "exactly-once" ? DeliveryGuarantee::exactly_once : DeliveryGuarantee::at_least_once;
}

void KafkaJobFlags::configure(StreamEnvironment& env) const {
  configured_ = true;
  env.set_parallelism(parallelism);
  if (checkpointing()) env.enable_checkpointing(checkpoint_interval, checkpoint_dir);
  if (!from_savepoint.empty()) env.restore_from(from_savepoint, allow_non_restored_state);
  if (state_backend == "rocksdb") use_rocksdb(env);
}

void KafkaJobFlags::require_configured() const {
  if (configured_ || (!checkpointing() && from_savepoint.empty())) return;
  throw std::logic_error("job '" + job_name +
                         "' takes --checkpoint-interval / --from-savepoint but does not apply them: its "
                         "pipeline must call KafkaJobFlags::configure(env) before building sources and sinks");
}

std::string KafkaJobFlags::transactional_id(const std::string& topic) const {
  int n = ++sinks_per_topic_[topic];
  return transactional_id_prefix + "-" + topic + (n > 1 ? "-" + std::to_string(n) : "");
}

}  // namespace sluice::jobs
