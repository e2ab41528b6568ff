#include "kafka/client/offset_reset.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <stdexcept>

namespace sluice::kafka::client {

ResetTarget reset_target(const OffsetReset& reset, const PartitionPosition& position) {
  const auto& w = position.watermarks;
  int64_t wanted = 0;
  switch (reset.mode) {
    case OffsetReset::Mode::earliest:
      wanted = w.low;
      break;
    case OffsetReset::Mode::latest:
      wanted = w.high;
      break;
    case OffsetReset::Mode::offset:
      wanted = reset.value;
      break;
    case OffsetReset::Mode::timestamp:
      wanted = position.offset_for_time < 0 ? w.high : position.offset_for_time;
      break;
    case OffsetReset::Mode::shift_by:
      if (position.committed < 0) {
        throw std::invalid_argument("no committed offset to shift from");
      }
      wanted = position.committed + reset.value;
      break;
  }
  const int64_t offset = std::clamp(wanted, w.low, std::max(w.low, w.high));
  return {offset, offset != wanted};
}

namespace {

// Reads exactly `digits` decimal digits at `pos`.
bool read_number(std::string_view s, size_t& pos, size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += digits;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

int64_t parse_datetime_ms(std::string_view text) {
  const auto bad = [&] {
    return std::invalid_argument("invalid datetime '" + std::string(text) +
                                 "': expected YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM], e.g. "
                                 "2024-05-01T12:00:00.000Z (no zone: local time)");
  };
  std::tm tm{};
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!read_number(text, pos, 4, year) || !expect(text, pos, '-') ||
      !read_number(text, pos, 2, month) || !expect(text, pos, '-') ||
      !read_number(text, pos, 2, day)) {
    throw bad();
  }
  if (expect(text, pos, 'T') || expect(text, pos, ' ')) {
    if (!read_number(text, pos, 2, hour) || !expect(text, pos, ':') ||
        !read_number(text, pos, 2, minute)) {
      throw bad();
    }
    if (expect(text, pos, ':')) {
      if (!read_number(text, pos, 2, second)) throw bad();
      if (expect(text, pos, '.')) {
        size_t digits = 0;
        millis = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          if (digits < 3) millis = millis * 10 + (text[pos] - '0');
          ++digits, ++pos;
        }
        if (digits == 0) throw bad();
        for (; digits < 3; ++digits) millis *= 10;
      }
    }
  }
  bool has_zone = false;
  int zone_minutes = 0;
  if (expect(text, pos, 'Z')) {
    has_zone = true;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int zh = 0, zm = 0;
    if (!read_number(text, pos, 2, zh)) throw bad();
    expect(text, pos, ':');
    if (pos < text.size() && !read_number(text, pos, 2, zm)) throw bad();
    has_zone = true;
    zone_minutes = sign * (zh * 60 + zm);
  }
  if (pos != text.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    throw bad();
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  const std::time_t seconds = has_zone ? timegm(&tm) - zone_minutes * 60 : std::mktime(&tm);
  return static_cast<int64_t>(seconds) * 1000 + millis;
}

}  // namespace sluice::kafka::client
