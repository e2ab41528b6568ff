#include "jobs/uploaded_file_record.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "jobs/byte_encodings.h"

namespace sluice::jobs {

namespace {

const std::string& string_field(const JsonValue& json, std::string_view name) {
  const JsonValue* v = json.find(name);
  if (!v || !v->is_string()) throw std::invalid_argument("no " + std::string(name) + " (a string) in the record");
  return v->as_string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

UploadedFileRecord parse_uploaded_file(const JsonValue& json) {
  if (!json.is_object()) throw std::invalid_argument("the record is JSON but not an object");
  UploadedFileRecord r;
  r.file_id = string_field(json, "file_id");
  r.filename = string_field(json, "filename");
  r.file_type = string_field(json, "file_type");
  r.file_hash = lower(string_field(json, "file_hash"));
  r.upload_timestamp = string_field(json, "upload_timestamp");
  const JsonValue* size = json.find("file_size");
  if (!size || !size->is_integer() || size->as_int() < 0)
    throw std::invalid_argument("no file_size (a non-negative integer) in the record");
  r.file_size = size->as_int();
  if (const JsonValue* meta = json.find("metadata"); meta && meta->is_object()) {
    if (const JsonValue* mime = meta->find("mime_type"); mime && mime->is_string()) r.mime_type = mime->as_string();
  }
  r.content = base64_decode(string_field(json, "file_content"));
  if (static_cast<int64_t>(r.content.size()) != r.file_size)
    throw std::invalid_argument("file_content holds " + std::to_string(r.content.size()) +
                                " bytes but file_size says " + std::to_string(r.file_size));
  const std::string actual = md5_hex(r.content);
  if (actual != r.file_hash)
    throw std::invalid_argument("md5 mismatch: file_hash says " + r.file_hash + ", the content's is " + actual);
  return r;
}

UploadedFileRecord parse_uploaded_file(std::string_view json_text) {
  return parse_uploaded_file(parse_json(json_text));
}

std::string safe_file_name(std::string_view filename, std::string_view fallback) {
  const size_t cut = filename.find_last_of("/\\");
  std::string_view base = cut == std::string_view::npos ? filename : filename.substr(cut + 1);
  std::string name;
  for (char c : base) name.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '_' : c);
  if (name.size() > 200) {
    // Keep the extension when there is a short one.
    const size_t dot = name.rfind('.');
    const std::string ext = dot != std::string::npos && name.size() - dot <= 16 ? name.substr(dot) : "";
    name = name.substr(0, 200 - ext.size()) + ext;
  }
  if (name.empty() || name == "." || name == "..") {
    if (fallback.empty()) return "file";
    return safe_file_name(fallback, "file");
  }
  return name;
}

}  // namespace sluice::jobs
