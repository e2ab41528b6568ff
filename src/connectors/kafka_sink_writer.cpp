// The librdkafka side of KafkaSinkWriter. See include/sluice/kafka_sink.h for the contract.
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <unordered_map>

#include "connectors/kafka_sink_transactions.h"
#include "kafka/client/config.h"
#include "kafka/client/handle.h"
#include "sluice/kafka_sink.h"

namespace sluice {

namespace client = kafka::client;

void validate(const KafkaSinkSettings& s) {
  if (s.bootstrap_servers.empty()) {
    throw std::invalid_argument("KafkaSink: bootstrap servers are empty; pass host:port");
  }
  if (s.delivery_guarantee == DeliveryGuarantee::exactly_once) {
    if (s.transactional_id_prefix.empty()) {
      throw std::invalid_argument(
          "KafkaSink: exactly-once needs a transactional id prefix, unique per sink and stable "
          "across runs; call .transactional_id_prefix(\"my-job\")");
    }
    if (s.topic.empty()) {
      throw std::invalid_argument(
          "KafkaSink: exactly-once needs a default topic (.topic(...)): partition 0 of it "
          "carries the marker of the last committed checkpoint");
    }
  }
  if (s.flush_timeout.count() <= 0)
    throw std::invalid_argument("KafkaSink: flush_timeout must be > 0");
}

namespace detail {

struct KafkaWriterCore::State {
  KafkaSinkSettings settings;
  SubtaskInfo subtask;
  std::string name;
  // At-least-once: this writer's own producer. Exactly-once: the committer's (shared).
  std::shared_ptr<client::Handle> handle;
  std::shared_ptr<KafkaTransactionCommitter> transactions;  // exactly-once only
  std::shared_ptr<DeliveryTally> tally;  // exactly-once: this writer's delivery reports
  CheckpointId pending = 0;  // exactly-once: the barrier passed, its commit not yet seen
  // librdkafka's topic handles, so that a record does not look its topic up by name.
  std::unordered_map<std::string, rd_kafka_topic_t*> topics;
  std::string last_topic;
  rd_kafka_topic_t* last_rkt = nullptr;

  KafkaSinkMetrics metrics;
  uint64_t failed = 0;
  std::map<std::string, uint64_t> failures;  // "topic: error" -> records
  uint64_t failed_reported = 0;
  bool closed = false;

  void on_delivery(const rd_kafka_message_t& m) {
    if (m.err) {
      ++failed;
      ++failures[std::string(rd_kafka_topic_name(m.rkt)) + ": " + rd_kafka_err2name(m.err) + " (" +
                 rd_kafka_err2str(m.err) + ")"];
    } else {
      ++metrics.delivered;
    }
  }

  void throw_failures() {
    const uint64_t now_failed = tally ? tally->failed.load() : failed;
    if (now_failed == failed_reported) return;
    failed_reported = now_failed;
    std::string what;
    if (tally) {
      what = tally->describe_failures();
    } else {
      for (const auto& [err, n] : failures) {
        what += (what.empty() ? "" : "; ") + err + " x" + std::to_string(n);
      }
    }
    throw KafkaConnectorError(name + ": " + std::to_string(now_failed) +
                              " records could not be delivered: " + what +
                              ". The job stops rather than lose them; check the topic and broker.");
  }

  // Exactly-once: waits for the commit of the last barrier's checkpoint.
  void await_commit() {
    if (pending == 0) return;
    const CheckpointId id = pending;
    transactions->state().wait_resolved(id, name);
    pending = 0;
  }

  rd_kafka_topic_t* topic(const std::string& t) {
    if (last_rkt != nullptr && t == last_topic) return last_rkt;
    auto it = topics.find(t);
    if (it == topics.end()) {
      rd_kafka_topic_t* rkt = rd_kafka_topic_new(handle->get(), t.c_str(), nullptr);
      if (rkt == nullptr) {
        throw KafkaConnectorError(name + ": cannot use topic \"" + t +
                                  "\": " + rd_kafka_err2str(rd_kafka_last_error()));
      }
      it = topics.emplace(t, rkt).first;
    }
    last_topic = t;
    last_rkt = it->second;
    return last_rkt;
  }

  void destroy() {
    for (auto& [t, rkt] : topics) rd_kafka_topic_destroy(rkt);
    topics.clear();
    last_rkt = nullptr;
    handle.reset();
  }
};

KafkaWriterCore::KafkaWriterCore(KafkaSinkSettings settings, SubtaskInfo subtask,
                                 std::shared_ptr<KafkaTransactionCommitter> transactions)
    : s_(std::make_unique<State>()) {
  s_->settings = std::move(settings);
  s_->subtask = std::move(subtask);
  s_->transactions = std::move(transactions);
  s_->name =
      (s_->subtask.operator_name.empty() ? std::string("Kafka sink") : s_->subtask.operator_name) +
      " (subtask " + std::to_string(s_->subtask.index) + "/" +
      std::to_string(s_->subtask.parallelism) + ")";
}

KafkaWriterCore::~KafkaWriterCore() {
  close();
}

void KafkaWriterCore::open() {
  auto& s = *s_;
  if (s.handle) return;
  if (s.transactions) {
    s.handle = s.transactions->state().current_producer(s.name);
    s.tally = s.transactions->state().add_writer();
    return;
  }
  client::Config c;
  c.set("bootstrap.servers", s.settings.bootstrap_servers);
  c.set("client.id", s.settings.client_id + "-" + std::to_string(s.subtask.index));
  c.set("acks", "all");
  c.set("enable.idempotence", "true");
  c.set("linger.ms", "5");
  for (const auto& [k, v] : s.settings.properties) c.set(k, v);
  try {
    s.handle = std::make_unique<client::Handle>(
        std::move(c), client::Handle::Role::producer,
        [st = s_.get()](const rd_kafka_message_t& m) { st->on_delivery(m); });
  } catch (const client::ClientError& e) {
    throw KafkaConnectorError(s.name + ": " + e.what());
  }
}

void KafkaWriterCore::send(const ProducerRecord& r, Timestamp event_time) {
  auto& s = *s_;
  if (!s.handle) open();
  s.await_commit();
  const std::string& topic_name = r.topic.empty() ? s.settings.topic : r.topic;
  if (topic_name.empty()) {
    throw KafkaConnectorError(s.name +
                              ": a record has no topic and the sink has no default "
                              "topic; set .topic(...) on the sink or ProducerRecord::topic");
  }
  // Exactly-once writers name the topic on each record: a topic handle must not outlive the
  // shared producer, which the committer owns.
  rd_kafka_topic_t* rkt = s.tally ? nullptr : s.topic(topic_name);
  const Timestamp ts = r.timestamp != kNoTimestamp  ? r.timestamp
                       : event_time != kNoTimestamp ? event_time
                                                    : 0;
  void* key = r.key ? const_cast<char*>(r.key->data()) : nullptr;
  const size_t key_len = r.key ? r.key->size() : 0;
  void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
  const size_t value_len = r.value ? r.value->size() : 0;
  const int32_t partition = r.partition ? *r.partition : RD_KAFKA_PARTITION_UA;
  for (;;) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!r.headers.empty()) {
      hdrs = rd_kafka_headers_new(r.headers.size());
      for (const auto& h : r.headers) {
        rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()),
                            h.value ? h.value->data() : nullptr,
                            h.value ? static_cast<ssize_t>(h.value->size()) : 0);
      }
    }
    const auto err =
        rkt != nullptr
            ? rd_kafka_producev(s.handle->get(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                                RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_TIMESTAMP(ts),
                                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END)
            : rd_kafka_producev(s.handle->get(), RD_KAFKA_V_TOPIC(topic_name.c_str()),
                                RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
                                RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_HEADERS(hdrs),
                                RD_KAFKA_V_OPAQUE(s.tally.get()), RD_KAFKA_V_END);
    if (!err) break;
    if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      throw KafkaConnectorError(s.name + ": Kafka refused a record for topic \"" + topic_name +
                                "\": " + rd_kafka_err2name(err) + " (" + rd_kafka_err2str(err) +
                                ")");
    }
    rd_kafka_poll(s.handle->get(), 100);  // back-pressure: wait for acknowledgements
    s.throw_failures();
  }
  ++s.metrics.records;
  if (s.tally) s.tally->sent.fetch_add(1);
  s.metrics.bytes += key_len + value_len;
  if ((s.metrics.records & 1023) == 0) {
    rd_kafka_poll(s.handle->get(), 0);
    s.throw_failures();
  }
}

void KafkaWriterCore::flush() {
  auto& s = *s_;
  if (!s.handle) return;
  ++s.metrics.flushes;
  if (s.tally) {
    // The producer is shared: wait for this writer's records only. (No wait for a pending
    // commit: flush adds no record, and a bounded job's end must not wait on a checkpoint
    // that a finished source will never acknowledge.)
    const auto deadline = std::chrono::steady_clock::now() + s.settings.flush_timeout;
    while (s.tally->reported() < s.tally->sent.load()) {
      char fatal[512];
      if (rd_kafka_fatal_error(s.handle->get(), fatal, sizeof fatal)) {
        throw KafkaConnectorError(s.name + ": fatal Kafka error on the transactional producer: " + fatal);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        throw KafkaConnectorError(
            s.name + ": " + std::to_string(s.tally->sent.load() - s.tally->reported()) +
            " records were not acknowledged within " + std::to_string(s.settings.flush_timeout.count()) +
            " ms. " + s.handle->timeout_message("Produce", s.settings.flush_timeout));
      }
      rd_kafka_poll(s.handle->get(), 10);
    }
    s.metrics.delivered = s.tally->delivered.load();
    s.throw_failures();
    return;
  }
  const auto err =
      rd_kafka_flush(s.handle->get(), static_cast<int>(s.settings.flush_timeout.count()));
  s.throw_failures();
  if (err) {
    throw KafkaConnectorError(s.name + ": " + std::to_string(rd_kafka_outq_len(s.handle->get())) +
                              " records were not acknowledged within " +
                              std::to_string(s.settings.flush_timeout.count()) + " ms. " +
                              s.handle->timeout_message("Produce", s.settings.flush_timeout));
  }
}

void KafkaWriterCore::prepare_checkpoint(CheckpointId id) {
  flush();  // throws on a failed delivery: the checkpoint fails the job, never passes a loss
  if (s_->tally) s_->pending = id;
}

void KafkaWriterCore::close() {
  auto& s = *s_;
  if (s.closed) return;
  s.closed = true;
  if (!s.handle) return;
  if (s.tally) {
    // Exactly-once: what is in flight stays in the transaction; the committer commits it
    // (the job finished) or aborts it.
    s.handle.reset();
    return;
  }
  const int left = rd_kafka_outq_len(s.handle->get());
  if (left > 0) {
    rd_kafka_purge(s.handle->get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(s.handle->get(), 0);  // serve the purge reports
    spdlog::debug("{}: closed without flush; {} records dropped", s.name, left);
  }
  s.destroy();
}

KafkaSinkMetrics KafkaWriterCore::metrics() const {
  KafkaSinkMetrics m = s_->metrics;
  if (s_->tally) m.delivered = s_->tally->delivered.load();
  return m;
}

}  // namespace detail
}  // namespace sluice
