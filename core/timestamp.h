// Time points and their RFC 3339 text form (the OCPP-J dateTime).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace chargelock::core {

// PostgreSQL keeps microseconds; finer parts of a time point are truncated
// when stored.
using Clock = std::chrono::system_clock;
using Timestamp = Clock::time_point;

// UTC with a 'Z', e.g. "2024-05-01T12:00:00Z"; milliseconds are added when
// not zero ("2024-05-01T12:00:00.250Z"). Finer parts are truncated.
std::string format_rfc3339(Timestamp t);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; a time without
// zone is taken as UTC (some piles send that), 't'/'z'/' ' are accepted as
// separators/zone. Returns none for anything else or an impossible date.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace chargelock::core
