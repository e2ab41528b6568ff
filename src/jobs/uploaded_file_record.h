// The record the dashboard's upload page (src/web/kafka_views.cpp) writes into
// uploaded_documents / uploaded_videos / uploaded_images, as in seed 004:
//   {"file_id":"document_1705123456789_1","filename":"report.pdf","file_type":"document",
//    "file_size":2048576,"file_hash":"<md5 hex>","upload_timestamp":"2024-01-15T10:30:00Z",
//    "metadata":{"mime_type":"application/pdf","text_content":"..."},
//    "file_content":"<base64>"}
// Read by the file-uploads job and by `sluice consume --save-files`. Pure functions; any
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/json.h"

namespace sluice::jobs {

struct UploadedFileRecord {
  std::string file_id;
  std::string filename;   // as the uploader named it: NOT safe as a path
  std::string file_type;  // document, video or image
  int64_t file_size = 0;
  std::string file_hash;  // md5 hex, as sent
  std::string upload_timestamp;
  std::string mime_type;  // metadata.mime_type, "" when absent
  std::string content;    // the decoded bytes
};

// Reads and checks one record: the fields above present with their types, file_content
// valid base64 whose length is file_size and whose MD5 is file_hash (case-insensitive).
// Throws std::invalid_argument (or JsonError) saying which check failed.
UploadedFileRecord parse_uploaded_file(const JsonValue& json);
UploadedFileRecord parse_uploaded_file(std::string_view json_text);

// A name for `filename` that is one plain path component: the part after the last '/' or
// '\', control characters and NUL replaced by '_', "", "." and ".." replaced by `fallback`
// (itself cleaned the same way), at most 200 bytes. Joining it to a directory never leaves
// that directory.
std::string safe_file_name(std::string_view filename, std::string_view fallback);

}  // namespace sluice::jobs
