// Byte encodings the seed-004 jobs read: base64 (frame_data, file_content) and MD5 in hex
// (file_hash). Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace sluice::jobs {

// Standard base64 (RFC 4648, '+' '/', padding optional); also accepts the URL-safe
// alphabet ('-' '_'). ASCII whitespace is skipped (MIME line breaks). Throws
// std::invalid_argument naming the first bad character's position.
std::string base64_decode(std::string_view text);

// MD5 (RFC 1321) of `bytes` as 32 lowercase hex digits.
std::string md5_hex(std::string_view bytes);

}  // namespace sluice::jobs
