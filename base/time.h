// Time points and their one text form, RFC 3339 (the OCPP-J dateTime, the
// REST API's times, the simulators'). Pure functions; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chargelock::base {

using Clock = std::chrono::system_clock;
// Nanoseconds in 64 bits: years 1677..2262 (parse_rfc3339 saturates
// outside). PostgreSQL keeps microseconds; finer parts are truncated there.
using Timestamp = Clock::time_point;

// What a date-time without a UTC offset ("2026-11-27T10:00:00") gets.
enum class MissingOffset {
  Refuse,     // RFC 3339 and OCPP 1.6: the offset is mandatory (the default)
  AssumeUtc,  // read as UTC: --assume-utc-timestamps for piles (many real
              // piles send local times without one), and text a caller has
              // already checked under its own rule
};

// UTC with a 'Z', e.g. "2024-05-01T12:00:00Z"; milliseconds are added when
// not zero ("2024-05-01T12:00:00.250Z"). Finer parts are truncated.
std::string format_rfc3339(Timestamp t);

// Parses RFC 3339 §5.6 "date-time": "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)";
// 't' and 'z' in lower case are accepted as RFC 3339 allows. Calendar ranges
// are checked (month 1-12, day within the month incl. leap years, hour 0-23,
// minute 0-59, second 0-60; a leap second is read as :59). Fractions finer
// than microseconds are truncated. Times outside the Timestamp range are
// saturated to its first/last second (operators write "never expires" as
// 9999-12-31). Returns none for anything else, and for a time without
// offset unless `missing` is AssumeUtc.
std::optional<Timestamp> parse_rfc3339(std::string_view text,
                                       MissingOffset missing = MissingOffset::Refuse);

// Whether parse_rfc3339 would accept `text`.
inline bool is_rfc3339(std::string_view text, MissingOffset missing = MissingOffset::Refuse) {
  return parse_rfc3339(text, missing).has_value();
}

// Milliseconds since the Unix epoch (the simulators' time) and back.
Timestamp from_unix_ms(std::int64_t unix_ms);
std::int64_t to_unix_ms(Timestamp t);

}  // namespace chargelock::base
