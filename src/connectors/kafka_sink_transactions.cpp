// The exactly-once KafkaSink's transactional producer and CheckpointCommitter. See
// include/sluice/kafka_sink.h for the protocol and src/connectors/kafka_sink_transactions.h
// for what the writers share.
#include "connectors/kafka_sink_transactions.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "kafka/client/config.h"
#include "kafka/client/error.h"
#include "kafka/client/topic_partition_list.h"

namespace sluice::detail {

namespace client = kafka::client;
using Clock = std::chrono::steady_clock;

void DeliveryTally::on_delivery(const rd_kafka_message_t& m) {
  if (!m.err) {
    delivered.fetch_add(1);
    return;
  }
  {
    std::lock_guard lock(mutex);
    ++failures[std::string(rd_kafka_topic_name(m.rkt)) + ": " + rd_kafka_err2name(m.err) + " (" +
               rd_kafka_err2str(m.err) + ")"];
  }
  failed.fetch_add(1);
}

std::string DeliveryTally::describe_failures() {
  std::lock_guard lock(mutex);
  std::string what;
  for (const auto& [err, n] : failures) what += (what.empty() ? "" : "; ") + err + " x" + std::to_string(n);
  return what;
}

std::shared_ptr<DeliveryTally> KafkaTransactionCommitter::State::add_writer() {
  std::lock_guard lock(mutex);
  tallies.push_back(std::make_shared<DeliveryTally>());
  return tallies.back();
}

std::shared_ptr<client::Handle> KafkaTransactionCommitter::State::current_producer(
    const std::string& writer) {
  std::lock_guard lock(mutex);
  if (!open || !producer) {
    throw KafkaConnectorError(writer + ": the sink's transactional producer is not open" +
                              (failure.empty() ? std::string() : " (" + failure + ")") +
                              "; an exactly-once sink runs inside a job, which opens its "
                              "checkpoint committer before the writers");
  }
  return producer;
}

void KafkaTransactionCommitter::State::wait_resolved(CheckpointId id, const std::string& writer) {
  std::unique_lock lock(mutex);
  resolved_cv.wait(lock, [&] { return resolved >= id || !failure.empty() || !open; });
  if (resolved >= id) return;
  throw KafkaConnectorError(writer + ": checkpoint " + std::to_string(id) +
                            " was neither committed nor abandoned: " +
                            (failure.empty() ? std::string("the sink's transactions were closed")
                                             : failure));
}

void KafkaTransactionCommitter::State::call(
    const std::string& what, const std::function<rd_kafka_error_t*(rd_kafka_t*, int)>& fn) {
  const auto deadline = Clock::now() + settings.flush_timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    rd_kafka_error_t* error = fn(producer->get(), static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (error == nullptr) return;
    const std::string text = std::string(rd_kafka_error_name(error)) + ": " + rd_kafka_error_string(error);
    const bool retriable = rd_kafka_error_is_retriable(error);
    const bool fatal = rd_kafka_error_is_fatal(error);
    const bool abortable = rd_kafka_error_txn_requires_abort(error);
    rd_kafka_error_destroy(error);
    if (retriable && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    std::string hint;
    if (fatal) {
      hint = " (fatal: another producer with the transactional id \"" + settings.transactional_id_prefix +
             "\" took over, e.g. a second copy of this job; each exactly-once sink needs its own prefix)";
    } else if (abortable) {
      hint = " (the transaction must be aborted; the job restarts from its last checkpoint)";
    } else if (retriable) {
      hint = " (still failing after " + std::to_string(settings.flush_timeout.count()) + " ms; " +
             producer->timeout_message(what, settings.flush_timeout) + ")";
    }
    throw KafkaConnectorError(name + ": " + what + " failed: " + text + hint);
  }
}

void KafkaTransactionCommitter::State::ensure_producer() {
  if (producer && initialized) return;
  if (!producer) {
    client::Config c;
    c.set("bootstrap.servers", settings.bootstrap_servers);
    c.set("client.id", settings.client_id + "-txn");
    c.set("transactional.id", settings.transactional_id_prefix);
    c.set("acks", "all");
    c.set("enable.idempotence", "true");
    c.set("linger.ms", "5");
    for (const auto& [k, v] : settings.properties) c.set(k, v);
    try {
      producer = std::make_shared<client::Handle>(std::move(c), client::Handle::Role::producer,
                                                  [](const rd_kafka_message_t& m) {
                                                    if (m._private != nullptr)
                                                      static_cast<DeliveryTally*>(m._private)->on_delivery(m);
                                                  });
    } catch (const client::ClientError& e) {
      throw KafkaConnectorError(name + ": " + e.what());
    }
  }
  // Fences every earlier producer with this transactional id and aborts (or finishes
  // committing) the transaction a crashed run left open.
  call("init_transactions", [](rd_kafka_t* rk, int ms) { return rd_kafka_init_transactions(rk, ms); });
  initialized = true;
}

void KafkaTransactionCommitter::State::destroy_producer() {
  producer.reset();  // writers still holding it are closed; the last reference destroys it
  initialized = false;
  in_transaction = false;
}

KafkaTransactionCommitter::KafkaTransactionCommitter(KafkaSinkSettings settings)
    : settings_(std::move(settings)), s_(std::make_unique<State>()) {
  s_->settings = settings_;
  s_->name = "Kafka sink transactions (" + settings_.transactional_id_prefix + ")";
}

KafkaTransactionCommitter::~KafkaTransactionCommitter() {
  std::lock_guard lock(s_->mutex);
  s_->destroy_producer();
}

std::optional<CheckpointId> KafkaTransactionCommitter::last_committed() {
  auto& s = *s_;
  std::lock_guard lock(s.mutex);
  s.ensure_producer();  // after this no transaction of an earlier run is pending
  client::Config c;
  c.set("bootstrap.servers", settings_.bootstrap_servers);
  c.set("client.id", settings_.client_id + "-marker");
  c.set("group.id", marker_group());
  c.set("isolation.level", "read_committed");
  c.set("enable.auto.commit", "false");
  std::unique_ptr<client::Handle> consumer;
  try {
    consumer = std::make_unique<client::Handle>(std::move(c), client::Handle::Role::consumer);
  } catch (const client::ClientError& e) {
    throw KafkaConnectorError(s.name + ": " + e.what());
  }
  auto list = client::make_topic_partition_list(1);
  rd_kafka_topic_partition_list_add(list.get(), marker_topic().c_str(), 0);
  const auto err = rd_kafka_committed(consumer->get(), list.get(),
                                      static_cast<int>(settings_.flush_timeout.count()));
  if (err) {
    throw KafkaConnectorError(s.name + ": cannot read which checkpoint was committed last (group \"" +
                              marker_group() + "\"): " + rd_kafka_err2str(err) + ". " +
                              consumer->timeout_message("OffsetFetch", settings_.flush_timeout));
  }
  const auto& e = list->elems[0];
  if (e.err) {
    throw KafkaConnectorError(s.name + ": cannot read which checkpoint was committed last (group \"" +
                              marker_group() + "\", " + marker_topic() + "-0): " + rd_kafka_err2str(e.err));
  }
  rd_kafka_consumer_close(consumer->get());
  if (e.offset < 0) {
    spdlog::info("{}: no checkpoint was committed yet", s.name);
    return std::nullopt;
  }
  spdlog::info("{}: the last committed checkpoint is {}", s.name, e.offset);
  return static_cast<CheckpointId>(e.offset);
}

void KafkaTransactionCommitter::open(CheckpointId restored) {
  auto& s = *s_;
  std::lock_guard lock(s.mutex);
  s.ensure_producer();
  if (!s.in_transaction) {
    s.call("begin_transaction", [](rd_kafka_t* rk, int) { return rd_kafka_begin_transaction(rk); });
    s.in_transaction = true;
  }
  s.open = true;
  s.failure.clear();
  s.resolved = restored;
  s.committed = 0;
  spdlog::debug("{}: open (restored checkpoint {})", s.name, restored);
}

void KafkaTransactionCommitter::commit(CheckpointId id) {
  auto& s = *s_;
  std::lock_guard lock(s.mutex);
  try {
    if (!s.open || !s.in_transaction) {
      throw KafkaConnectorError(s.name + ": commit of checkpoint " + std::to_string(id) +
                                " without an open transaction" +
                                (s.failure.empty() ? std::string() : " (" + s.failure + ")"));
    }
    // The marker travels in the transaction: Kafka makes it visible with the records.
    auto offsets = client::make_topic_partition_list(1);
    rd_kafka_topic_partition_list_add(offsets.get(), marker_topic().c_str(), 0)->offset =
        static_cast<int64_t>(id);
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata_new(marker_group().c_str());
    try {
      s.call("send_offsets_to_transaction (the checkpoint marker)", [&](rd_kafka_t* rk, int ms) {
        return rd_kafka_send_offsets_to_transaction(rk, offsets.get(), group, ms);
      });
    } catch (...) {
      rd_kafka_consumer_group_metadata_destroy(group);
      throw;
    }
    rd_kafka_consumer_group_metadata_destroy(group);
    s.call("commit_transaction", [](rd_kafka_t* rk, int ms) { return rd_kafka_commit_transaction(rk, ms); });
    s.in_transaction = false;
    s.committed = id;
    s.resolved = std::max(s.resolved, id);
    s.call("begin_transaction", [](rd_kafka_t* rk, int) { return rd_kafka_begin_transaction(rk); });
    s.in_transaction = true;
  } catch (const std::exception& e) {
    s.failure = e.what();
    s.resolved_cv.notify_all();
    throw;
  }
  s.resolved_cv.notify_all();
}

void KafkaTransactionCommitter::abort(CheckpointId id) {
  auto& s = *s_;
  {
    std::lock_guard lock(s.mutex);
    s.resolved = std::max(s.resolved, id);
  }
  s.resolved_cv.notify_all();
  spdlog::info("{}: checkpoint {} was abandoned; its records stay in the open transaction and are "
               "committed with the next checkpoint",
               s.name, id);
}

void KafkaTransactionCommitter::cancel() {
  auto& s = *s_;
  {
    std::lock_guard lock(s.mutex);
    if (s.failure.empty()) s.failure = "the job was cancelled";
  }
  s.resolved_cv.notify_all();
}

void KafkaTransactionCommitter::close(bool finished) {
  auto& s = *s_;
  std::unique_lock lock(s.mutex);
  const bool was_open = s.open;
  s.open = false;
  s.resolved_cv.notify_all();
  if (!was_open || !s.producer) {
    s.destroy_producer();
    return;
  }
  std::string error;
  if (s.in_transaction) {
    try {
      if (finished && s.failure.empty()) {
        // Records written after the last completed checkpoint: the marker keeps naming that
        // checkpoint (the job finished; nothing will resume from it).
        s.call("commit_transaction (the job finished)",
               [](rd_kafka_t* rk, int ms) { return rd_kafka_commit_transaction(rk, ms); });
      } else {
        s.call("abort_transaction", [](rd_kafka_t* rk, int ms) {
          return rd_kafka_abort_transaction(rk, std::min(ms, 10000));
        });
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  s.destroy_producer();
  if (!error.empty()) {
    if (finished) throw KafkaConnectorError(error);
    // A failed job: the transaction is aborted by the broker's timeout or the next
    // init_transactions anyway.
    spdlog::warn("{} (the next run with this transactional id aborts it)", error);
  }
}

}  // namespace sluice::detail
