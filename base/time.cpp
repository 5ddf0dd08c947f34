#include "base/time.h"

#include <fmt/format.h>

#include <ctime>

namespace chargelock::base {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, int n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (!is_digit(c)) return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_rfc3339(Timestamp t) {
  const auto ms_total =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  long long secs = ms_total / 1000;
  long long ms = ms_total % 1000;
  if (ms < 0) ms += 1000, secs -= 1;
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (ms != 0) text += fmt::format(".{:03}", ms);
  text += 'Z';
  return text;
}

std::optional<Timestamp> parse_rfc3339(std::string_view s, MissingOffset missing) {
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!digits(s, pos, 4, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, day))
    return std::nullopt;
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return std::nullopt;
  ++pos;
  if (!digits(s, pos, 2, hour) || !expect(s, pos, ':') || !digits(s, pos, 2, minute) ||
      !expect(s, pos, ':') || !digits(s, pos, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60)
    return std::nullopt;
  long long micros = 0;
  if (pos < s.size() && s[pos] == '.') {  // time-secfrac: at least one digit
    ++pos;
    int n = 0;
    while (pos < s.size() && is_digit(s[pos])) {
      if (n < 6) micros = micros * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (int i = n; i < 6; ++i) micros *= 10;
  }
  long long offset_s = 0;
  if (pos == s.size()) {
    if (missing == MissingOffset::Refuse) return std::nullopt;
  } else {
    const char zone = s[pos];
    if (zone == 'Z' || zone == 'z') {
      ++pos;
    } else if (zone == '+' || zone == '-') {
      ++pos;
      int oh, om;
      if (!digits(s, pos, 2, oh) || !expect(s, pos, ':') || !digits(s, pos, 2, om) || oh > 23 ||
          om > 59)
        return std::nullopt;
      offset_s = (oh * 3600LL + om * 60LL) * (zone == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  if (second == 60) second = 59;  // leap second: clamp
  const long long secs = days_from_civil(year, month, day) * 86400LL + hour * 3600LL +
                         minute * 60LL + second - offset_s;
  // Converting a time outside the 64-bit nanosecond range would overflow
  // (undefined behaviour); such times are saturated instead, and any
  // far-future time compares the same way.
  constexpr long long kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(Timestamp::duration::max()).count() - 1;
  if (secs > kLimit || secs < -kLimit)
    return Timestamp(std::chrono::duration_cast<Timestamp::duration>(
        std::chrono::seconds(secs > 0 ? kLimit : -kLimit)));
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(
      std::chrono::seconds(secs) + std::chrono::microseconds(micros)));
}

Timestamp from_unix_ms(std::int64_t unix_ms) {
  return Timestamp(
      std::chrono::duration_cast<Timestamp::duration>(std::chrono::milliseconds(unix_ms)));
}

std::int64_t to_unix_ms(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace chargelock::base
