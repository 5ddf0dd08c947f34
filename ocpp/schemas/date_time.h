// RFC 3339 §5.6 "date-time" check. RapidJSON's draft-04 validator ignores
// "format", and OCPP 1.6 declares every timestamp as "format":"date-time",
// so the schema registry applies this check itself.
#pragma once

#include <string_view>

namespace chargelock::ocpp {

// True for full-date "T" full-time with a mandatory offset, e.g.
// "2024-02-29T13:05:00Z", "2024-02-29T13:05:00.123+01:00". Calendar ranges
// are checked (month 1-12, day within the month incl. leap years, hour 0-23,
// minute 0-59, second 0-60 for leap seconds). "t" and "z" are accepted in
// lower case as RFC 3339 allows; a missing offset is rejected.
bool is_rfc3339_date_time(std::string_view text);

}  // namespace chargelock::ocpp
