#include "jobs/iso_time_text.h"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace sluice::jobs {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

}  // namespace

Timestamp parse_iso8601_ms(std::string_view text) {
  auto fail = [&]() -> Timestamp {
    throw std::invalid_argument("'" + std::string(text.substr(0, 64)) +
                                "' is not an ISO-8601 timestamp (2024-01-15T10:30:00[.fff][Z])");
  };
  size_t pos = 0;
  auto digits = [&](size_t n) -> int64_t {
    if (pos + n > text.size()) fail();
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      const char c = text[pos + i];
      if (c < '0' || c > '9') fail();
      v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
  };
  auto expect = [&](char c) {
    if (pos >= text.size() || text[pos] != c) fail();
    ++pos;
  };
  const int64_t year = digits(4);
  expect('-');
  const int64_t month = digits(2);
  expect('-');
  const int64_t day = digits(2);
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) fail();
  ++pos;
  const int64_t hour = digits(2);
  expect(':');
  const int64_t minute = digits(2);
  expect(':');
  const int64_t second = digits(2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    fail();
  int64_t ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t n = 0;
    int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 3) ms += (text[pos] - '0') * scale, scale /= 10;
      ++pos, ++n;
    }
    if (n == 0 || n > 9) fail();
  }
  int64_t offset_min = 0;
  if (pos < text.size()) {
    const char z = text[pos];
    if (z == 'Z' || z == 'z') {
      ++pos;
    } else if (z == '+' || z == '-') {
      ++pos;
      const int64_t oh = digits(2);
      if (pos < text.size() && text[pos] == ':') ++pos;
      const int64_t om = digits(2);
      offset_min = (z == '+' ? 1 : -1) * (oh * 60 + om);
    }
  }
  if (pos != text.size()) fail();
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute - offset_min) * 60000 + second * 1000 + ms;
}

std::string format_iso8601_ms(Timestamp ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rest = ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const int64_t h = rest / 3600000, mi = rest / 60000 % 60, s = rest / 1000 % 60, f = rest % 1000;
  if (f == 0) return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, h, mi, s);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, h, mi, s, f);
}

Duration parse_duration_text(std::string_view text) {
  int64_t n = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc() || n < 0) {
    throw std::invalid_argument("'" + std::string(text) + "' is not a duration (e.g. 30s, 500ms, 2m, 1h)");
  }
  const std::string_view unit(r.ptr, static_cast<size_t>(text.data() + text.size() - r.ptr));
  if (unit == "ms") return Duration(n);
  if (unit.empty() || unit == "s") return Duration(n * 1000);
  if (unit == "m" || unit == "min") return Duration(n * 60000);
  if (unit == "h") return Duration(n * 3600000);
  throw std::invalid_argument("'" + std::string(text) + "': unknown unit '" + std::string(unit) +
                              "' (use ms, s, m or h)");
}

}  // namespace sluice::jobs
