// Appending numbers, fixed-point amounts, ISO-8601 times and base64 to a std::string
// without temporaries: the generators build every record with these, in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::generators {

void append_int(std::string& out, int64_t v);
// v zero-padded to at least `width` digits (v >= 0).
void append_padded(std::string& out, uint64_t v, int width);
// cents as a decimal with two places: 8840 -> "88.40", -5 -> "-0.05".
void append_cents(std::string& out, int64_t cents);
// UTC "2024-05-23T12:34:56" (+ ".789" with millis, + "Z" with zulu). Times before 1970
// are fine; the year must have four digits.
void append_iso8601(std::string& out, int64_t epoch_ms, bool millis, bool zulu);
// Parses "2024-05-23T12:34:56", with optional ".mmm" (1 to 9 fraction digits, cut to
// ms) and an optional "Z", as UTC. False when the text is not such a time.
bool parse_iso8601(std::string_view text, int64_t& epoch_ms);
// Standard base64 (RFC 4648, with padding).
void append_base64(std::string& out, std::span<const uint8_t> bytes);

}  // namespace sluice::generators
