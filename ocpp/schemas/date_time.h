// RFC 3339 §5.6 "date-time" check. RapidJSON's draft-04 validator ignores
// "format", and OCPP 1.6 declares every timestamp as "format":"date-time",
// so the schema registry applies this check itself.
#pragma once

#include <string_view>

namespace chargelock::ocpp {

// What an OCPP date-time without a UTC offset ("2026-11-27T10:00:00") gets.
// This is the one place that decides whether such a time is accepted;
// core::parse_rfc3339() then reads it as UTC.
enum class MissingOffset {
  Refuse,     // RFC 3339 and OCPP 1.6: the offset is mandatory (the default)
  AssumeUtc,  // --assume-utc-timestamps: many real piles send local times
              // without one; the operator accepts them as UTC
};

// True for full-date "T" full-time with an offset, e.g.
// "2024-02-29T13:05:00Z", "2024-02-29T13:05:00.123+01:00", and without one
// when `missing` is AssumeUtc. Calendar ranges are checked (month 1-12, day
// within the month incl. leap years, hour 0-23, minute 0-59, second 0-60 for
// leap seconds). "t" and "z" are accepted in lower case as RFC 3339 allows.
bool is_rfc3339_date_time(std::string_view text, MissingOffset missing = MissingOffset::Refuse);

}  // namespace chargelock::ocpp
