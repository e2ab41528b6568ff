#include "sluice/json.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace sluice {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 when it is invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;   // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes copied as they are
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = utf8_sequence(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      out.append(s.data() + run, i - run);
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      run = ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, 6);
      }
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

// ---------------------------------------------------------------- JsonWriter

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_->push_back(',');
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_->push_back('{');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  if (first_.empty()) throw JsonError("JsonWriter: end_object() without begin_object()");
  first_.pop_back();
  out_->push_back('}');
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_->push_back('[');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  if (first_.empty()) throw JsonError("JsonWriter: end_array() without begin_array()");
  first_.pop_back();
  out_->push_back(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  if (first_.empty())
    throw JsonError("JsonWriter: key(\"" + std::string(k) + "\") outside an object");
  if (!first_.back()) out_->push_back(',');
  first_.back() = false;
  append_json_string(*out_, k);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  append_json_string(*out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value();
  out_->append(b ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::integer(int64_t v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::unsigned_integer(uint64_t v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  before_value();
  if (!std::isfinite(v)) {
    out_->append("null");
    return *this;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round trip
  out_->append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_->append("null");
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  before_value();
  out_->append(json);
  return *this;
}

// ---------------------------------------------------------------- JsonValue

namespace {

[[noreturn]] void wrong_type(const JsonValue& v, const char* expected) {
  throw JsonError(std::string("JSON value is ") + std::string(v.type_name()) + ", expected " +
                  expected);
}

const JsonValue& null_value() {
  static const JsonValue null;
  return null;
}

}  // namespace

std::string_view JsonValue::type_name() const {
  switch (v_.index()) {
    case 0:
      return "null";
    case 1:
      return "bool";
    case 2:
    case 3:
      return "integer";
    case 4:
      return "double";
    case 5:
      return "string";
    case 6:
      return "array";
    default:
      return "object";
  }
}

bool JsonValue::as_bool() const {
  if (const auto* b = std::get_if<bool>(&v_)) return *b;
  wrong_type(*this, "bool");
}

int64_t JsonValue::as_int() const {
  if (const auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (std::get_if<uint64_t>(&v_)) throw JsonError("JSON integer is larger than int64");
  if (const auto* d = std::get_if<double>(&v_)) {
    if (std::trunc(*d) == *d && std::fabs(*d) < 9.2e18) return static_cast<int64_t>(*d);
    throw JsonError("JSON number " + dump() + " is not an integer");
  }
  wrong_type(*this, "integer");
}

double JsonValue::as_double() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<uint64_t>(&v_)) return static_cast<double>(*u);
  wrong_type(*this, "number");
}

const std::string& JsonValue::as_string() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  wrong_type(*this, "string");
}

const JsonValue::Array& JsonValue::as_array() const {
  if (const auto* a = std::get_if<Array>(&v_)) return *a;
  wrong_type(*this, "array");
}

const JsonValue::Object& JsonValue::as_object() const {
  if (const auto* o = std::get_if<Object>(&v_)) return *o;
  wrong_type(*this, "object");
}

JsonValue::Array& JsonValue::as_array() {
  if (auto* a = std::get_if<Array>(&v_)) return *a;
  wrong_type(*this, "array");
}

JsonValue::Object& JsonValue::as_object() {
  if (auto* o = std::get_if<Object>(&v_)) return *o;
  wrong_type(*this, "object");
}

const JsonValue* JsonValue::find(std::string_view key) const {
  const auto* o = std::get_if<Object>(&v_);
  if (o == nullptr) return nullptr;
  for (const auto& [k, v] : *o) {
    if (k == key) return &v;
  }
  return nullptr;
}

const JsonValue& JsonValue::at(std::string_view key) const {
  if (!is_object()) wrong_type(*this, "object");
  if (const auto* v = find(key)) return *v;
  throw JsonError("JSON object has no member \"" + std::string(key) + "\"");
}

const JsonValue& JsonValue::at(size_t index) const {
  const auto& a = as_array();
  if (index >= a.size()) {
    throw JsonError("JSON array index " + std::to_string(index) + " out of range (size " +
                    std::to_string(a.size()) + ")");
  }
  return a[index];
}

const JsonValue& JsonValue::operator[](std::string_view key) const {
  const auto* v = find(key);
  return v ? *v : null_value();
}

size_t JsonValue::size() const {
  if (const auto* a = std::get_if<Array>(&v_)) return a->size();
  if (const auto* o = std::get_if<Object>(&v_)) return o->size();
  return 0;
}

JsonValue& JsonValue::set(std::string key, JsonValue value) {
  if (is_null()) v_ = Object{};
  auto& o = as_object();
  for (auto& [k, v] : o) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  o.emplace_back(std::move(key), std::move(value));
  return *this;
}

JsonValue& JsonValue::push_back(JsonValue value) {
  if (is_null()) v_ = Array{};
  as_array().push_back(std::move(value));
  return *this;
}

void JsonValue::write(JsonWriter& w) const {
  switch (v_.index()) {
    case 0:
      w.null();
      break;
    case 1:
      w.value(std::get<bool>(v_));
      break;
    case 2:
      w.integer(std::get<int64_t>(v_));
      break;
    case 3:
      w.unsigned_integer(std::get<uint64_t>(v_));
      break;
    case 4:
      w.value(std::get<double>(v_));
      break;
    case 5:
      w.value(std::get<std::string>(v_));
      break;
    case 6:
      w.begin_array();
      for (const auto& e : std::get<Array>(v_)) e.write(w);
      w.end_array();
      break;
    default:
      w.begin_object();
      for (const auto& [k, e] : std::get<Object>(v_)) {
        w.key(k);
        e.write(w);
      }
      w.end_object();
  }
}

std::string JsonValue::dump() const {
  JsonWriter w;
  write(w);
  return w.take();
}

// ---------------------------------------------------------------- parsing

namespace {

namespace od = simdjson::ondemand;

struct ThreadParser {
  od::parser parser;
  std::string buffer;  // the text, then SIMDJSON_PADDING bytes
};

ThreadParser& thread_parser() {
  thread_local ThreadParser p;
  return p;
}

JsonValue number_of(od::value& v) {
  od::number n;
  if (const auto err = v.get_number().get(n)) {
    // Integers beyond 64 bits: keep them as doubles, as most JSON readers do.
    double d;
    if (v.get_double().get(d) == simdjson::SUCCESS) return JsonValue(d);
    throw simdjson::simdjson_error(err);
  }
  switch (n.get_number_type()) {
    case od::number_type::signed_integer:
      return JsonValue(static_cast<long>(n.get_int64()));
    case od::number_type::unsigned_integer:
      return JsonValue(static_cast<unsigned long>(n.get_uint64()));
    default:
      return JsonValue(n.get_double());
  }
}

JsonValue value_of(od::value v, int depth);

JsonValue object_of(od::object o, int depth) {
  JsonValue::Object members;
  for (auto field : o) {
    std::string key(field.unescaped_key().value());
    members.emplace_back(std::move(key), value_of(field.value().value(), depth + 1));
  }
  return JsonValue(std::move(members));
}

JsonValue array_of(od::array a, int depth) {
  JsonValue::Array items;
  for (auto e : a) items.push_back(value_of(e.value(), depth + 1));
  return JsonValue(std::move(items));
}

JsonValue value_of(od::value v, int depth) {
  if (depth > 1000) throw JsonError("invalid JSON: nested deeper than 1000 levels");
  switch (v.type().value()) {
    case od::json_type::object:
      return object_of(v.get_object().value(), depth);
    case od::json_type::array:
      return array_of(v.get_array().value(), depth);
    case od::json_type::string:
      return JsonValue(std::string(v.get_string().value()));
    case od::json_type::boolean:
      return JsonValue(v.get_bool().value());
    case od::json_type::number:
      return number_of(v);
    case od::json_type::null:
      if (!v.is_null().value()) throw simdjson::simdjson_error(simdjson::N_ATOM_ERROR);
      return JsonValue();
  }
  return JsonValue();
}

JsonValue document_of(od::document& doc) {
  JsonValue result;
  switch (doc.type().value()) {
    case od::json_type::object:
      result = object_of(doc.get_object().value(), 0);
      break;
    case od::json_type::array:
      result = array_of(doc.get_array().value(), 0);
      break;
    case od::json_type::string:
      result = JsonValue(std::string(doc.get_string().value()));
      break;
    case od::json_type::boolean:
      result = JsonValue(doc.get_bool().value());
      break;
    case od::json_type::number: {
      od::number n = doc.get_number().value();
      switch (n.get_number_type()) {
        case od::number_type::signed_integer:
          result = JsonValue(static_cast<long>(n.get_int64()));
          break;
        case od::number_type::unsigned_integer:
          result = JsonValue(static_cast<unsigned long>(n.get_uint64()));
          break;
        default:
          result = JsonValue(n.get_double());
      }
      break;
    }
    case od::json_type::null:
      if (!doc.is_null().value()) throw simdjson::simdjson_error(simdjson::N_ATOM_ERROR);
      break;
  }
  // Anything left after the value (e.g. "{} {}") is an error.
  const char* loc = nullptr;
  if (doc.current_location().get(loc) == simdjson::SUCCESS) {
    throw simdjson::simdjson_error(simdjson::TRAILING_CONTENT);
  }
  return result;
}

}  // namespace

void with_json_document(std::string_view text,
                        const std::function<void(simdjson::ondemand::document&)>& fn) {
  auto& tp = thread_parser();
  tp.buffer.assign(text);
  tp.buffer.resize(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  od::document doc;
  if (const auto err =
          tp.parser.iterate(tp.buffer.data(), text.size(), tp.buffer.size()).get(doc)) {
    throw JsonError(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  try {
    fn(doc);
  } catch (const simdjson::simdjson_error& e) {
    std::string where;
    const char* loc = nullptr;
    if (doc.current_location().get(loc) == simdjson::SUCCESS) {
      where = " at byte " + std::to_string(loc - tp.buffer.data());
    }
    throw JsonError(std::string("invalid JSON") + where + ": " + e.what());
  }
}

JsonValue parse_json(std::string_view text) {
  JsonValue result;
  with_json_document(text, [&](od::document& doc) { result = document_of(doc); });
  return result;
}

KafkaDeserializer<JsonValue> json_deserializer() {
  return [](const KafkaRecordView& r) -> Deserialized<JsonValue> {
    if (!r.value) return Deserialized<JsonValue>::bad("null value (tombstone), expected JSON");
    return Deserialized<JsonValue>::ok(parse_json(*r.value));
  };
}

KafkaRecordSerializer<JsonValue> json_serializer() {
  return [](const JsonValue& v, const SinkContext&, ProducerRecord& out) {
    out.value.emplace();
    JsonWriter w(*out.value);
    v.write(w);
  };
}

}  // namespace sluice
