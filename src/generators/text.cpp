#include "generators/text.h"

#include <charconv>

namespace sluice::generators {

void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_padded(std::string& out, uint64_t v, int width) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  for (auto n = r.ptr - buf; n < width; ++n) out.push_back('0');
  out.append(buf, r.ptr);
}

void append_cents(std::string& out, int64_t cents) {
  if (cents < 0) {
    out.push_back('-');
    cents = -cents;
  }
  append_int(out, cents / 100);
  out.push_back('.');
  append_padded(out, static_cast<uint64_t>(cents % 100), 2);
}

namespace {

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

// A civil date to days since 1970-01-01 (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

void append_iso8601(std::string& out, int64_t epoch_ms, bool millis, bool zulu) {
  const int64_t secs = floor_div(epoch_ms, 1000);
  const int64_t ms = epoch_ms - secs * 1000;
  const int64_t days = floor_div(secs, 86400);
  const int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  append_padded(out, static_cast<uint64_t>(y), 4);
  out.push_back('-');
  append_padded(out, m, 2);
  out.push_back('-');
  append_padded(out, d, 2);
  out.push_back('T');
  append_padded(out, static_cast<uint64_t>(sod / 3600), 2);
  out.push_back(':');
  append_padded(out, static_cast<uint64_t>(sod / 60 % 60), 2);
  out.push_back(':');
  append_padded(out, static_cast<uint64_t>(sod % 60), 2);
  if (millis) {
    out.push_back('.');
    append_padded(out, static_cast<uint64_t>(ms), 3);
  }
  if (zulu) out.push_back('Z');
}

bool parse_iso8601(std::string_view t, int64_t& epoch_ms) {
  // YYYY-MM-DDTHH:MM:SS
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') ||
      t[13] != ':' || t[16] != ':') {
    return false;
  }
  auto digits = [&](size_t at, size_t n, int64_t& v) {
    v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    return true;
  };
  int64_t y, mo, d, h, mi, s;
  if (!digits(0, 4, y) || !digits(5, 2, mo) || !digits(8, 2, d) || !digits(11, 2, h) ||
      !digits(14, 2, mi) || !digits(17, 2, s)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < t.size() && t[pos] == '.') {
    size_t n = 0;
    for (++pos; pos < t.size() && t[pos] >= '0' && t[pos] <= '9'; ++pos, ++n) {
      if (n < 3) ms = ms * 10 + (t[pos] - '0');
    }
    if (n == 0 || n > 9) return false;
    for (; n < 3; ++n) ms *= 10;
  }
  if (pos < t.size() && t[pos] == 'Z') ++pos;
  if (pos != t.size()) return false;
  const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  epoch_ms = ((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms;
  return true;
}

void append_base64(std::string& out, std::span<const uint8_t> in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t start = out.size();
  out.resize(start + (in.size() + 2) / 3 * 4);
  char* p = out.data() + start;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  if (const size_t rest = in.size() - i; rest > 0) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (rest == 2 ? uint32_t{in[i + 1]} << 8 : 0);
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    *p++ = '=';
  }
}

}  // namespace sluice::generators
