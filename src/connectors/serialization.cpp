#include "sluice/serialization.h"

#include <librdkafka/rdkafka.h>

namespace sluice {

std::optional<std::string_view> KafkaRecord::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->key == name) {
      if (!it->value) return std::nullopt;
      return std::string_view(*it->value);
    }
  }
  return std::nullopt;
}

std::vector<RecordHeaderView> KafkaRecordView::headers() const {
  std::vector<RecordHeaderView> out;
  if (raw == nullptr) return out;
  auto* msg = static_cast<rd_kafka_message_t*>(const_cast<void*>(raw));
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    RecordHeaderView h{name, std::nullopt};
    if (value != nullptr) h.value = std::string_view(static_cast<const char*>(value), size);
    out.push_back(h);
  }
  return out;
}

KafkaRecord KafkaRecordView::to_record() const {
  KafkaRecord r;
  r.topic = std::string(topic);
  r.partition = partition;
  r.offset = offset;
  r.timestamp = timestamp;
  if (key) r.key.emplace(*key);
  if (value) r.value.emplace(*value);
  for (const auto& h : headers()) {
    r.headers.push_back({std::string(h.key), h.value
                                                 ? std::optional<std::string>(std::string(*h.value))
                                                 : std::nullopt});
  }
  return r;
}

KafkaDeserializer<std::string> string_deserializer() {
  return [](const KafkaRecordView& r) -> Deserialized<std::string> {
    if (!r.value) return Deserialized<std::string>::bad("null value (tombstone), expected text");
    return Deserialized<std::string>::ok(std::string(*r.value));
  };
}

KafkaDeserializer<Bytes> bytes_deserializer() {
  return [](const KafkaRecordView& r) -> Deserialized<Bytes> {
    Bytes b;
    if (r.value) b.assign(r.value->begin(), r.value->end());
    return Deserialized<Bytes>::ok(std::move(b));
  };
}

KafkaDeserializer<KafkaRecord> record_deserializer() {
  return [](const KafkaRecordView& r) { return Deserialized<KafkaRecord>::ok(r.to_record()); };
}

KafkaRecordSerializer<std::string> string_serializer() {
  return
      [](const std::string& v, const SinkContext&, ProducerRecord& out) { out.value.emplace(v); };
}

KafkaRecordSerializer<Bytes> bytes_serializer() {
  return [](const Bytes& v, const SinkContext&, ProducerRecord& out) {
    out.value.emplace(reinterpret_cast<const char*>(v.data()), v.size());
  };
}

KafkaRecordSerializer<KafkaRecord> record_serializer(bool keep_partition) {
  return [keep_partition](const KafkaRecord& r, const SinkContext&, ProducerRecord& out) {
    out.topic = r.topic;
    if (keep_partition) out.partition = r.partition;
    out.key = r.key;
    out.value = r.value;
    out.headers = r.headers;
    out.timestamp = r.timestamp;
  };
}

}  // namespace sluice
