#include "ocpp/schemas/date_time.h"

namespace chargelock::ocpp {

namespace {

// Reads exactly `count` digits at `pos`; false if any is not a digit.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

}  // namespace

bool is_rfc3339_date_time(std::string_view text, MissingOffset missing) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters; an offset adds at least one more.
  const bool offset_optional = missing == MissingOffset::AssumeUtc;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < (offset_optional ? 19u : 20u) ||
      text[4] != '-' || !read_digits(text, 5, 2, month) || text[7] != '-' ||
      !read_digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !read_digits(text, 11, 2, hour) || text[13] != ':' || !read_digits(text, 14, 2, minute) ||
      text[16] != ':' || !read_digits(text, 17, 2, second))
    return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60)
    return false;

  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {  // time-secfrac: at least one digit
    const std::size_t first = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == first) return false;
  }
  if (pos == text.size()) return offset_optional;
  if (text[pos] == 'Z' || text[pos] == 'z') return pos + 1 == text.size();
  if (text[pos] != '+' && text[pos] != '-') return false;
  int offset_hour = 0, offset_minute = 0;
  return pos + 6 == text.size() && read_digits(text, pos + 1, 2, offset_hour) &&
         text[pos + 3] == ':' && read_digits(text, pos + 4, 2, offset_minute) &&
         offset_hour <= 23 && offset_minute <= 59;
}

}  // namespace chargelock::ocpp
