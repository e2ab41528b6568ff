// Text forms of times for the seed-004 jobs (transactions, video-frames, file-uploads):
// ISO-8601 timestamps as the seeds' Python writes them, and durations given on the command
// line. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/time.h"

namespace sluice::jobs {

// "2024-01-15T10:30:00", with optional ".f" (1..9 digits, cut to ms), and an optional zone
// "Z", "+HH:MM" or "-HH:MM" (no zone: UTC, as the seeds' datetime.now().isoformat() in a
// container). A space instead of 'T' is accepted. Returns epoch ms; throws
// std::invalid_argument naming the text when it is not such a timestamp.
Timestamp parse_iso8601_ms(std::string_view text);

// "2024-01-15T10:30:00Z", or "...:00.250Z" when ms is not a whole second. UTC.
std::string format_iso8601_ms(Timestamp ms);

// "30s", "500ms", "2m", "1h", or a bare number of seconds; throws std::invalid_argument.
Duration parse_duration_text(std::string_view text);

}  // namespace sluice::jobs
