// Serialization between Kafka records and a stream's values (Flink's
// KafkaRecordDeserializationSchema / KafkaRecordSerializationSchema).
//
// A KafkaDeserializer<T> turns one consumed record (a KafkaRecordView, valid only during the
// call) into a Deserialized<T>: a value, a "bad record" with a reason (the source sends it to
// its dead-letter topic or drops it with a counted log line; the job goes on), or "skip".
// A deserializer that throws std::exception is treated as "bad record" with what() as the
// reason. Deserializers are copied into every source subtask and called from that
// subtask's thread only; they must not share mutable state across copies.
//
// A KafkaRecordSerializer<T> fills a ProducerRecord (reused between calls, cleared first)
// from one value; it is called from the sink subtask's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/sink.h"
#include "sluice/time.h"

namespace sluice {

// Raw bytes of a key or value, when a job wants them as they are.
using Bytes = std::vector<uint8_t>;

struct RecordHeader {
  std::string key;
  std::optional<std::string> value;  // nullopt: a null header value
  bool operator==(const RecordHeader&) const = default;
};

struct RecordHeaderView {
  std::string_view key;
  std::optional<std::string_view> value;
};

// A consumed Kafka record, owned: everything a job may want to know about it.
struct KafkaRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  Timestamp timestamp = kNoTimestamp;  // Kafka's record timestamp (ms), or kNoTimestamp
  std::optional<std::string> key;      // nullopt: a null key
  std::optional<std::string> value;    // nullopt: a null value (tombstone)
  std::vector<RecordHeader> headers;

  // The value of the last header named `key`, or nullopt when there is none (or it is null).
  std::optional<std::string_view> header(std::string_view key) const;
};

// A consumed Kafka record as the source sees it: views into librdkafka's message, valid only
// during the deserializer's call. Headers are decoded on demand.
struct KafkaRecordView {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  Timestamp timestamp = kNoTimestamp;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  const void* raw = nullptr;  // the rd_kafka_message_t (connectors' business)

  std::vector<RecordHeaderView> headers() const;
  // An owned copy of everything, headers included.
  KafkaRecord to_record() const;
};

// The outcome of deserializing one record.
template <class T>
class Deserialized {
 public:
  static Deserialized ok(T value) { return Deserialized(Kind::ok, std::move(value), {}); }
  // A record the job cannot use: goes to the dead-letter topic with `reason` in its `error`
  // header, or is dropped and counted when the source has no dead-letter topic.
  static Deserialized bad(std::string reason) {
    return Deserialized(Kind::bad, std::nullopt, std::move(reason));
  }
  // A record the job deliberately ignores (not counted as bad).
  static Deserialized skip() { return Deserialized(Kind::skip, std::nullopt, {}); }

  bool is_ok() const { return kind_ == Kind::ok; }
  bool is_bad() const { return kind_ == Kind::bad; }
  bool is_skip() const { return kind_ == Kind::skip; }
  T& value() { return *value_; }
  const std::string& reason() const { return reason_; }

 private:
  enum class Kind { ok, bad, skip };
  Deserialized(Kind kind, std::optional<T> value, std::string reason)
      : kind_(kind), value_(std::move(value)), reason_(std::move(reason)) {}
  Kind kind_;
  std::optional<T> value_;
  std::string reason_;
};

template <class T>
using KafkaDeserializer = std::function<Deserialized<T>(const KafkaRecordView&)>;

// The value as text. A null value (tombstone) is a bad record.
KafkaDeserializer<std::string> string_deserializer();
// The value's bytes as they are; a null value gives no bytes.
KafkaDeserializer<Bytes> bytes_deserializer();
// The whole record: key, value, headers, topic, partition, offset, timestamp.
KafkaDeserializer<KafkaRecord> record_deserializer();
// The value through `parse`; a std::exception it throws makes the record bad, with what() as
// the reason. E.g. value_deserializer<int64_t>([](std::string_view v) { ... }).
template <class T>
KafkaDeserializer<T> value_deserializer(std::function<T(std::string_view value)> parse) {
  return [parse = std::move(parse)](const KafkaRecordView& r) -> Deserialized<T> {
    if (!r.value) return Deserialized<T>::bad("null value (tombstone)");
    return Deserialized<T>::ok(parse(*r.value));
  };
}

// One record to produce; the sink's serializer fills it. Cleared (capacity kept) before
// each call.
struct ProducerRecord {
  std::string topic;                 // empty: the sink's default topic
  std::optional<int32_t> partition;  // nullopt: Kafka's partitioner (by key)
  std::optional<std::string> key;    // nullopt: a null key
  std::optional<std::string> value;  // nullopt: a null value (tombstone)
  std::vector<RecordHeader> headers;
  Timestamp timestamp = kNoTimestamp;  // kNoTimestamp: the record's event time, else now

  void clear() {
    topic.clear();
    partition.reset();
    if (key) key->clear();
    key.reset();
    if (value) value->clear();
    value.reset();
    headers.clear();
    timestamp = kNoTimestamp;
  }
  void set_key(std::string_view k) { key.emplace(k); }
  void set_value(std::string_view v) { value.emplace(v); }
  void add_header(std::string k, std::optional<std::string> v) {
    headers.push_back({std::move(k), std::move(v)});
  }
};

template <class T>
using KafkaRecordSerializer =
    std::function<void(const T& value, const SinkContext& context, ProducerRecord& out)>;

// Writes a string value (no key) to the sink's default topic.
KafkaRecordSerializer<std::string> string_serializer();
// Writes raw bytes as the value (no key).
KafkaRecordSerializer<Bytes> bytes_serializer();
// Writes a KafkaRecord back as it is: its topic (or the sink's default when empty), key,
// value, headers and timestamp; its partition only when `keep_partition`.
KafkaRecordSerializer<KafkaRecord> record_serializer(bool keep_partition = false);
// value_of(v) as the value and, when given, key_of(v) as the key.
template <class T>
KafkaRecordSerializer<T> value_serializer(std::function<std::string(const T&)> value_of,
                                          std::function<std::string(const T&)> key_of = {}) {
  return [value_of = std::move(value_of), key_of = std::move(key_of)](
             const T& v, const SinkContext&, ProducerRecord& out) {
    out.value.emplace(value_of(v));
    if (key_of) out.key.emplace(key_of(v));
  };
}

}  // namespace sluice
