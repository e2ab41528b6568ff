// JSON for jobs: read with simdjson (on-demand parsing), write with JsonWriter.
//
// - JsonWriter appends one JSON text to a std::string: objects, arrays, strings (escaped per
//   RFC 8259; invalid UTF-8 is replaced by U+FFFD so the output is always valid JSON),
//   integers, doubles (shortest round-trip form; NaN and infinities become null, as JSON has
//   no spelling for them). Commas are placed for the caller. Not thread-safe; one per thread.
// - JsonValue is an owned document tree (null, bool, integer, double, string, array, object
//   with keys in input order), for jobs that keep or inspect whole documents. A value type.
// - parse_json() builds a JsonValue with simdjson's on-demand parser; JsonError says what is
//   wrong and where. Safe from any thread (each thread has its own parser).
// - json_deserializer() / json_ondemand_deserializer<T>() read Kafka values as JSON; a value
//   that is not valid JSON, or that the user's function rejects by throwing, is a bad record.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sluice/serialization.h"

namespace sluice {

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Appends the JSON string literal of `text` (quotes included) to `out`.
void append_json_string(std::string& out, std::string_view text);

class JsonWriter {
 public:
  // Writes into `out`, appending after what it already holds.
  explicit JsonWriter(std::string& out) : out_(&out) {}
  // Writes into a string of its own; see str() / take().
  JsonWriter() : out_(&own_) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // The key of the next member; must be inside an object.
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(int v) { return integer(v); }
  JsonWriter& value(long v) { return integer(v); }
  JsonWriter& value(long long v) { return integer(v); }
  JsonWriter& value(unsigned v) { return unsigned_integer(v); }
  JsonWriter& value(unsigned long v) { return unsigned_integer(v); }
  JsonWriter& value(unsigned long long v) { return unsigned_integer(v); }
  JsonWriter& integer(int64_t v);
  JsonWriter& unsigned_integer(uint64_t v);
  JsonWriter& value(double v);
  JsonWriter& null();
  // Appends `json` as it is (the caller vouches that it is one valid JSON value).
  JsonWriter& raw(std::string_view json);

  // key(k).value(v) in one call.
  template <class V>
  JsonWriter& field(std::string_view k, V&& v) {
    key(k);
    return value(std::forward<V>(v));
  }

  const std::string& str() const { return *out_; }
  std::string take() { return std::move(*out_); }
  // Empties the output (and own string) for the next document, keeping capacity.
  void reset() {
    out_->clear();
    first_.clear();
    after_key_ = false;
  }

 private:
  void before_value();
  std::string own_;
  std::string* out_;
  std::vector<bool> first_;  // one per open container: no member written yet
  bool after_key_ = false;
};

class JsonValue {
 public:
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;  // input order

  JsonValue() = default;  // null
  JsonValue(std::nullptr_t) {}
  JsonValue(bool b) : v_(b) {}
  JsonValue(int v) : v_(static_cast<int64_t>(v)) {}
  JsonValue(long v) : v_(static_cast<int64_t>(v)) {}
  JsonValue(long long v) : v_(static_cast<int64_t>(v)) {}
  JsonValue(unsigned v) : v_(static_cast<int64_t>(v)) {}
  JsonValue(unsigned long v) : v_(static_cast<uint64_t>(v)) {}
  JsonValue(unsigned long long v) : v_(static_cast<uint64_t>(v)) {}
  JsonValue(double v) : v_(v) {}
  JsonValue(std::string s) : v_(std::move(s)) {}
  JsonValue(const char* s) : v_(std::string(s)) {}
  JsonValue(Array a) : v_(std::move(a)) {}
  JsonValue(Object o) : v_(std::move(o)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  // An integer that fits int64 (or uint64 above INT64_MAX).
  bool is_integer() const {
    return std::holds_alternative<int64_t>(v_) || std::holds_alternative<uint64_t>(v_);
  }
  bool is_number() const { return is_integer() || std::holds_alternative<double>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_array() const { return std::holds_alternative<Array>(v_); }
  bool is_object() const { return std::holds_alternative<Object>(v_); }

  // Typed access; throws JsonError naming the expected and the actual type.
  bool as_bool() const;
  int64_t as_int() const;    // integers; a double with no fractional part too
  double as_double() const;  // any number
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;
  Array& as_array();
  Object& as_object();

  // The member named `key` of an object, or nullptr (also when this is not an object).
  const JsonValue* find(std::string_view key) const;
  // The member named `key`; throws JsonError when this is not an object or has no such member.
  const JsonValue& at(std::string_view key) const;
  const JsonValue& at(size_t index) const;
  // The member named `key`, or a null value when there is none.
  const JsonValue& operator[](std::string_view key) const;
  size_t size() const;  // of an array or object; 0 otherwise

  // Adds (or replaces) a member; turns a null into an empty object first.
  JsonValue& set(std::string key, JsonValue value);
  // Appends to an array; turns a null into an empty array first.
  JsonValue& push_back(JsonValue value);

  // "null", "bool", "integer", "double", "string", "array" or "object".
  std::string_view type_name() const;
  void write(JsonWriter& w) const;
  std::string dump() const;

  bool operator==(const JsonValue&) const = default;

 private:
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, Array, Object> v_;
};

// Parses one JSON text (surrounding whitespace allowed, nothing else after the value).
// Throws JsonError: "invalid JSON at byte 12: ..." .
JsonValue parse_json(std::string_view text);

// Runs `fn` on the on-demand document of `text`, with simdjson's thread-local parser and a
// padded copy of the text. The document is valid only during the call. simdjson errors
// (simdjson::simdjson_error) are rethrown as JsonError.
void with_json_document(std::string_view text,
                        const std::function<void(simdjson::ondemand::document&)>& fn);

// Kafka values as JsonValue documents. Invalid JSON or a null value is a bad record.
KafkaDeserializer<JsonValue> json_deserializer();
// Kafka values as T through the user's from_json over the parsed document (any thrown
// std::exception marks the record bad with its message).
template <class T>
KafkaDeserializer<T> json_deserializer(std::function<T(const JsonValue&)> from_json) {
  return [from_json = std::move(from_json)](const KafkaRecordView& r) -> Deserialized<T> {
    if (!r.value) return Deserialized<T>::bad("null value (tombstone), expected JSON");
    return Deserialized<T>::ok(from_json(parse_json(*r.value)));
  };
}
// Kafka values as T through the user's from_json over simdjson's on-demand document: the
// fastest path (no tree is built). Invalid JSON surfaces as a simdjson error when
// from_json touches it, and makes the record bad.
template <class T>
KafkaDeserializer<T> json_ondemand_deserializer(
    std::function<T(simdjson::ondemand::document&)> from_json) {
  return [from_json = std::move(from_json)](const KafkaRecordView& r) -> Deserialized<T> {
    if (!r.value) return Deserialized<T>::bad("null value (tombstone), expected JSON");
    std::optional<T> out;
    with_json_document(*r.value,
                       [&](simdjson::ondemand::document& doc) { out.emplace(from_json(doc)); });
    return Deserialized<T>::ok(std::move(*out));
  };
}

// Writes values as JSON text through `to_json` (with a reused writer) and, when given, keys
// through key_of.
template <class T>
KafkaRecordSerializer<T> json_serializer(std::function<void(const T&, JsonWriter&)> to_json,
                                         std::function<std::string(const T&)> key_of = {}) {
  return [to_json = std::move(to_json), key_of = std::move(key_of)](const T& v, const SinkContext&,
                                                                    ProducerRecord& out) {
    out.value.emplace();
    JsonWriter w(*out.value);
    to_json(v, w);
    if (key_of) out.key.emplace(key_of(v));
  };
}
KafkaRecordSerializer<JsonValue> json_serializer();

}  // namespace sluice
