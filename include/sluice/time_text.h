// Text forms of times and durations, for jobs' flags and records: durations such as "30s"
// (flags like --window) and UTC ISO-8601 timestamps such as "2024-05-23T12:34:56Z" (records
// and window bounds). Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sluice/time.h"

namespace sluice {

// "500ms", "30s", "5m" (or "5min"), "2h", "1d": a non-negative integer and a unit.
// Throws std::invalid_argument saying what is wrong and which units exist.
Duration parse_duration(std::string_view text);
// The shortest exact form parse_duration() reads back: 30000 ms -> "30s", 1500 ms -> "1500ms".
std::string format_duration(Duration d);

// "YYYY-MM-DDTHH:MM:SS" (or a space instead of 'T') with optional fraction ".f" (1 to 9
// digits, cut to milliseconds) and an optional zone: "Z", or "+HH:MM" / "-HHMM" (no zone:
// UTC, as the seeds' Python isoformat() in a container); nullopt when the text is not such
// a time or names an impossible date.
std::optional<Timestamp> parse_iso8601(std::string_view text);
// The same, throwing std::invalid_argument naming the text when it is not such a time.
Timestamp require_iso8601(std::string_view text);
// UTC "2024-05-23T12:34:56Z", with ".789" before the "Z" when the milliseconds are not zero.
void append_iso8601(std::string& out, Timestamp epoch_ms);
std::string format_iso8601(Timestamp epoch_ms);

}  // namespace sluice
