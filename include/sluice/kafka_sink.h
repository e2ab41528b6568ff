// KafkaSink<T>: writes a stream's records to Kafka through librdkafka (Flink's KafkaSink).
//
//   auto sink = KafkaSink<Count>::builder()
//                   .bootstrap_servers("127.0.0.1:9092")
//                   .topic("output-topic")                       // default topic
//                   .value_serializer([](const Count& c) { return c.text(); },
//                                     [](const Count& c) { return c.user; })  // key
//                   .build();
//
// Each record is serialized into a ProducerRecord: topic (per record, else the default),
// key, value, headers, optional partition, timestamp (else the record's event time, else now).
//
// At-least-once (the default): acks=all and idempotence are on (extra properties win); each
// writer owns one producer. flush() waits until every record written so far is acknowledged
// and throws KafkaConnectorError with Kafka's error when one failed; a checkpoint barrier
// flushes (prepare_checkpoint), so a checkpoint never completes past a lost record: the job
// fails and restarts from the previous one. A delivery failure is also thrown from a later
// write() as soon as it is known. close() without flush() (cancel, failure) drops what is
// still in flight.
//
// Exactly-once (DeliveryGuarantee::exactly_once, needs checkpoints): ONE transactional
// producer per KafkaSink (transactional.id = the prefix; it must be unique per sink and
// stable across runs), shared by all its writers and owned by its CheckpointCommitter
// (checkpoint_committer(), the same object for every copy of one built KafkaSink). Writers
// produce into the open transaction; at barrier N a writer waits for its records'
// acknowledgements and then blocks its next write() until checkpoint N is committed or
// abandoned, so that no record after barrier N enters transaction N. When
// checkpoint N is durable the committer commits the transaction together with a marker,
// the offset N of partition 0 of the sink's topic in consumer group "<prefix>-checkpoints"
// (send_offsets_to_transaction), and opens the next one. last_committed() reads the marker,
// so that a restarted job resumes from the checkpoint whose output Kafka holds; the
// restarted producer's init_transactions() aborts whatever a crashed run left open. An
// abandoned checkpoint leaves its records in the open transaction: they are committed with
// the next checkpoint that completes. At the end of a job that finished normally the
// committer commits what is pending with the marker of the last completed checkpoint (so a
// finished job's last records are not covered by any checkpoint: rerunning it on the same
// checkpoint directory replays them). Without checkpoints, everything is committed once,
// when a bounded job finishes. Consumers see the output with isolation.level=read_committed.
// Dead letters of the source are not part of the transactions (at-least-once).
//
// Threads: build() and create_writer() on the job's thread; each writer on its subtask's
// thread only; the committer on the checkpoint coordinator's thread, safe against the
// writers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sluice/kafka_common.h"
#include "sluice/serialization.h"
#include "sluice/sink.h"
#include "sluice/subtask_info.h"
#include "sluice/time.h"

namespace sluice {

enum class DeliveryGuarantee { at_least_once, exactly_once };

struct KafkaSinkSettings {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string topic;  // default topic for records whose serializer names none
  std::vector<std::pair<std::string, std::string>> properties;  // librdkafka, win over ours
  DeliveryGuarantee delivery_guarantee = DeliveryGuarantee::at_least_once;
  std::string transactional_id_prefix;    // exactly-once: the transactional.id (required)
  Duration flush_timeout{60000};          // flush() and commits give up (and throw) after this
  std::string client_id = "sluice-sink";  // "-<subtask index>" is appended
};

// Throws std::invalid_argument for settings a sink cannot run with.
void validate(const KafkaSinkSettings& settings);

struct KafkaSinkMetrics {
  uint64_t records = 0;    // handed to librdkafka
  uint64_t bytes = 0;      // key + value bytes handed on
  uint64_t delivered = 0;  // acknowledged
  uint64_t flushes = 0;
};

namespace detail {

// The exactly-once sink's transactional producer and its CheckpointCommitter
// (src/connectors/kafka_sink_transactions.cpp); the protocol is at the top of this file.
// Shared by the sink's writers (produce, wait for a commit) and the coordinator (commit,
// abort): thread-safe. Reusable: open() after close() starts a new producer (a job
// restarted in the same process).
class KafkaTransactionCommitter final : public CheckpointCommitter {
 public:
  explicit KafkaTransactionCommitter(KafkaSinkSettings settings);
  ~KafkaTransactionCommitter() override;
  KafkaTransactionCommitter(const KafkaTransactionCommitter&) = delete;
  KafkaTransactionCommitter& operator=(const KafkaTransactionCommitter&) = delete;

  // Starts the producer and fences any earlier one (init_transactions), then reads the
  // marker. Throws KafkaConnectorError when Kafka does not answer.
  std::optional<CheckpointId> last_committed() override;
  void open(CheckpointId restored) override;
  void commit(CheckpointId id) override;
  void abort(CheckpointId id) override;
  void cancel() override;
  void close(bool finished) override;

  // The consumer group whose committed offset records the last committed checkpoint.
  std::string marker_group() const { return settings_.transactional_id_prefix + "-checkpoints"; }
  // The marker's partition: partition 0 of the sink's topic.
  const std::string& marker_topic() const { return settings_.topic; }

  struct State;
  // For writers: the shared producer state (its lifetime is the committer's).
  State& state() { return *s_; }

 private:
  KafkaSinkSettings settings_;
  std::unique_ptr<State> s_;
};

// The librdkafka side of one sink subtask (src/connectors/kafka_sink_writer.cpp). One thread.
// At-least-once: its own producer. Exactly-once: the committer's transactional producer.
class KafkaWriterCore {
 public:
  KafkaWriterCore(KafkaSinkSettings settings, SubtaskInfo subtask,
                  std::shared_ptr<KafkaTransactionCommitter> transactions = nullptr);
  ~KafkaWriterCore();
  KafkaWriterCore(const KafkaWriterCore&) = delete;
  KafkaWriterCore& operator=(const KafkaWriterCore&) = delete;

  void open();
  // Enqueues one record; blocks (serving delivery reports) while librdkafka's queue is full,
  // and, exactly-once, while the checkpoint of the last barrier is being committed.
  // Throws KafkaConnectorError for a record Kafka refuses or an earlier failed delivery.
  void send(const ProducerRecord& record, Timestamp event_time);
  // Waits until every record sent so far is acknowledged; throws KafkaConnectorError when
  // one failed or the flush timeout ran out.
  void flush();
  // At a barrier: flush(); exactly-once, the next send() then waits until checkpoint `id`
  // is committed or abandoned.
  void prepare_checkpoint(CheckpointId id);
  // At-least-once: drops whatever is still queued or in flight, then destroys the producer.
  // Exactly-once: leaves the records in the transaction (the committer decides).
  void close();
  KafkaSinkMetrics metrics() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace detail

template <class T>
class KafkaSinkWriter final : public SinkWriter<T> {
 public:
  KafkaSinkWriter(KafkaSinkSettings settings, KafkaRecordSerializer<T> serializer,
                  SubtaskInfo subtask,
                  std::shared_ptr<detail::KafkaTransactionCommitter> transactions = nullptr)
      : serializer_(std::move(serializer)),
        core_(std::move(settings), std::move(subtask), std::move(transactions)) {}

  void open() override { core_.open(); }
  void write(const T& value, const SinkContext& context) override {
    record_.clear();
    serializer_(value, context, record_);
    core_.send(record_, context.timestamp);
  }
  void flush() override { core_.flush(); }
  void close() override { core_.close(); }
  void prepare_checkpoint(CheckpointId id) override { core_.prepare_checkpoint(id); }
  KafkaSinkMetrics metrics() const { return core_.metrics(); }

 private:
  KafkaRecordSerializer<T> serializer_;
  ProducerRecord record_;  // reused: its strings keep their capacity
  detail::KafkaWriterCore core_;
};

template <class T>
class KafkaSink final : public Sink<T> {
 public:
  class Builder {
   public:
    Builder& bootstrap_servers(std::string servers) {
      s_.bootstrap_servers = std::move(servers);
      return *this;
    }
    // The default topic (records whose serializer sets no topic go there).
    Builder& topic(std::string topic) {
      s_.topic = std::move(topic);
      return *this;
    }
    Builder& record_serializer(KafkaRecordSerializer<T> serializer) {
      ser_ = std::move(serializer);
      return *this;
    }
    // value_of(v) as the value and, when given, key_of(v) as the key.
    Builder& value_serializer(std::function<std::string(const T&)> value_of,
                              std::function<std::string(const T&)> key_of = {}) {
      ser_ = sluice::value_serializer<T>(std::move(value_of), std::move(key_of));
      return *this;
    }
    Builder& property(std::string key, std::string value) {
      s_.properties.emplace_back(std::move(key), std::move(value));
      return *this;
    }
    Builder& delivery_guarantee(DeliveryGuarantee g) {
      s_.delivery_guarantee = g;
      return *this;
    }
    // Exactly-once: the producer's transactional.id, unique per sink and stable across runs.
    Builder& transactional_id_prefix(std::string prefix) {
      s_.transactional_id_prefix = std::move(prefix);
      return *this;
    }
    Builder& flush_timeout(Duration d) {
      s_.flush_timeout = d;
      return *this;
    }
    Builder& client_id(std::string id) {
      s_.client_id = std::move(id);
      return *this;
    }

    // Throws std::invalid_argument naming what is missing.
    KafkaSink build() const {
      validate(s_);
      KafkaRecordSerializer<T> ser = ser_;
      if (!ser) {
        if constexpr (std::is_same_v<T, std::string>) {
          ser = string_serializer();
        } else if constexpr (std::is_same_v<T, Bytes>) {
          ser = bytes_serializer();
        } else if constexpr (std::is_same_v<T, KafkaRecord>) {
          ser = sluice::record_serializer();
        } else {
          throw std::invalid_argument(
              "KafkaSink: no serializer; call .value_serializer(...) or .record_serializer(...)");
        }
      }
      return KafkaSink(s_, std::move(ser));
    }

   private:
    KafkaSinkSettings s_;
    KafkaRecordSerializer<T> ser_;
  };

  static Builder builder() { return Builder(); }

  std::unique_ptr<SinkWriter<T>> create_writer(const SubtaskInfo& subtask) override {
    return make_writer(subtask);
  }
  std::unique_ptr<KafkaSinkWriter<T>> make_writer(const SubtaskInfo& subtask) const {
    return std::make_unique<KafkaSinkWriter<T>>(settings_, serializer_, subtask, transactions_);
  }
  // Exactly-once: the transactional producer shared by every writer; else nullptr.
  std::shared_ptr<CheckpointCommitter> checkpoint_committer() override { return transactions_; }
  const KafkaSinkSettings& settings() const { return settings_; }

 private:
  KafkaSink(KafkaSinkSettings s, KafkaRecordSerializer<T> ser)
      : settings_(std::move(s)), serializer_(std::move(ser)) {
    if (settings_.delivery_guarantee == DeliveryGuarantee::exactly_once)
      transactions_ = std::make_shared<detail::KafkaTransactionCommitter>(settings_);
  }
  KafkaSinkSettings settings_;
  KafkaRecordSerializer<T> serializer_;
  std::shared_ptr<detail::KafkaTransactionCommitter> transactions_;  // copies share it
};

}  // namespace sluice
