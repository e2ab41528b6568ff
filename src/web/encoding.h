// Byte encodings the dashboard's JSON needs: base64 (binary record bytes, uploaded file
// content), an MD5 digest in hex (the seeds' file_hash), and a UTF-8 check (a record's key
// or value is shown as text only when it is valid UTF-8, else as base64). Pure functions;
// any thread.
#pragma once

#include <string>
#include <string_view>

namespace sluice::web {

// Standard base64 (RFC 4648, '+' '/', '=' padding).
std::string base64_encode(std::string_view bytes);
// 32 lowercase hex digits.
std::string md5_hex(std::string_view bytes);
// True when `bytes` is well-formed UTF-8 (no overlongs, surrogates or code points past
// U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

}  // namespace sluice::web
