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
// Delivery is at-least-once: acks=all and idempotence are on by default (extra properties
// win); flush() waits until every record written so far is acknowledged and throws
// KafkaConnectorError with Kafka's error when one failed, so a checkpoint or the end of a
// bounded job never passes a lost record. A delivery failure is also thrown from a later
// write() as soon as it is known. close() without flush() (cancel, failure) drops what is
// still in flight.
//
// Exactly-once (transactions committed with checkpoints) is issue 6: the settings keep
// transactional_id_prefix and DeliveryGuarantee::exactly_once, and build() refuses it until
// then.
//
// Threads: build() and create_writer() on the job's thread; each writer on its subtask's
// thread only. Each writer owns one librdkafka producer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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
  std::string transactional_id_prefix;    // exactly-once (issue 6)
  Duration flush_timeout{60000};          // flush() gives up (and throws) after this
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

// The librdkafka side of one sink subtask (src/connectors/kafka_sink_writer.cpp). One thread.
class KafkaWriterCore {
 public:
  KafkaWriterCore(KafkaSinkSettings settings, SubtaskInfo subtask);
  ~KafkaWriterCore();
  KafkaWriterCore(const KafkaWriterCore&) = delete;
  KafkaWriterCore& operator=(const KafkaWriterCore&) = delete;

  void open();
  // Enqueues one record; blocks (serving delivery reports) while librdkafka's queue is full.
  // Throws KafkaConnectorError for a record Kafka refuses or an earlier failed delivery.
  void send(const ProducerRecord& record, Timestamp event_time);
  void flush();
  // Drops whatever is still queued or in flight, then destroys the producer.
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
                  SubtaskInfo subtask)
      : serializer_(std::move(serializer)), core_(std::move(settings), std::move(subtask)) {}

  void open() override { core_.open(); }
  void write(const T& value, const SinkContext& context) override {
    record_.clear();
    serializer_(value, context, record_);
    core_.send(record_, context.timestamp);
  }
  void flush() override { core_.flush(); }
  void close() override { core_.close(); }
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
    return std::make_unique<KafkaSinkWriter<T>>(settings_, serializer_, subtask);
  }
  const KafkaSinkSettings& settings() const { return settings_; }

 private:
  KafkaSink(KafkaSinkSettings s, KafkaRecordSerializer<T> ser)
      : settings_(std::move(s)), serializer_(std::move(ser)) {}
  KafkaSinkSettings settings_;
  KafkaRecordSerializer<T> serializer_;
};

}  // namespace sluice
