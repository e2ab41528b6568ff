#include "sluice/time_text.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace sluice {

namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};
constexpr Unit kUnits[] = {{"ms", 1},    {"s", 1000},    {"min", 60000},
                           {"m", 60000}, {"h", 3600000}, {"d", 86400000}};

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

Duration parse_duration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view unit = text.substr(digits);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (digits == 0 || ec != std::errc()) {
    throw std::invalid_argument(fmt::format(
        "'{}' is not a duration: expected a whole number and a unit, e.g. 500ms, 30s, 1m", text));
  }
  for (const Unit& u : kUnits) {
    if (unit == u.name) {
      if (n > INT64_MAX / u.ms)
        throw std::invalid_argument(fmt::format("duration '{}' is too long", text));
      return Duration(n * u.ms);
    }
  }
  throw std::invalid_argument(
      fmt::format("'{}' has no known unit: use ms, s, m (or min), h or d, e.g. 30s", text));
}

std::string format_duration(Duration d) {
  int64_t ms = d.count();
  if (ms != 0) {
    for (auto it = std::rbegin(kUnits); it != std::rend(kUnits); ++it) {
      if (it->name == "min") continue;
      if (ms % it->ms == 0) return fmt::format("{}{}", ms / it->ms, it->name);
    }
  }
  return fmt::format("{}ms", ms);
}

std::optional<Timestamp> parse_iso8601(std::string_view t) {
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      t[13] != ':' || t[16] != ':')
    return std::nullopt;
  auto digits = [&](size_t at, size_t n, int& v) {
    v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(0, 4, y) || !digits(5, 2, mo) || !digits(8, 2, d) || !digits(11, 2, h) ||
      !digits(14, 2, mi) || !digits(17, 2, s)) {
    return std::nullopt;
  }
  if (h > 23 || mi > 59 || s > 59) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(unsigned(mo)),
                                   std::chrono::day(unsigned(d))};
  if (!date.ok()) return std::nullopt;
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < t.size() && t[pos] == '.') {
    size_t n = 0;
    for (++pos; pos < t.size() && t[pos] >= '0' && t[pos] <= '9'; ++pos, ++n) {
      if (n < 3) ms = ms * 10 + (t[pos] - '0');
    }
    if (n == 0 || n > 9) return std::nullopt;
    for (; n < 3; ++n) ms *= 10;
  }
  int offset_minutes = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int sign = t[pos] == '+' ? 1 : -1, oh, om;
    ++pos;
    if (pos + 2 > t.size() || !digits(pos, 2, oh)) return std::nullopt;
    pos += 2;
    if (pos < t.size() && t[pos] == ':') ++pos;
    if (pos + 2 > t.size() || !digits(pos, 2, om)) return std::nullopt;
    pos += 2;
    if (oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  }
  if (pos != t.size()) return std::nullopt;
  int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return ((days * 24 + h) * 60 + mi - offset_minutes) * 60000 + int64_t(s) * 1000 + ms;
}

Timestamp require_iso8601(std::string_view text) {
  if (auto t = parse_iso8601(text)) return *t;
  throw std::invalid_argument("'" + std::string(text.substr(0, 64)) +
                              "' is not an ISO-8601 timestamp (2024-01-15T10:30:00[.fff][Z|+HH:MM])");
}

void append_iso8601(std::string& out, Timestamp epoch_ms) {
  int64_t secs = floor_div(epoch_ms, 1000);
  int64_t ms = epoch_ms - secs * 1000;
  int64_t days = floor_div(secs, 86400);
  int64_t sod = secs - days * 86400;
  std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(days))};
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", int(date.year()),
                 unsigned(date.month()), unsigned(date.day()), sod / 3600, sod / 60 % 60, sod % 60);
  if (ms != 0) fmt::format_to(std::back_inserter(out), ".{:03}", ms);
  out.push_back('Z');
}

std::string format_iso8601(Timestamp epoch_ms) {
  std::string out;
  append_iso8601(out, epoch_ms);
  return out;
}

}  // namespace sluice
