// Wall-clock timestamps as OCPP 1.6 writes them (RFC 3339, UTC). The pile
// simulator measures all time as milliseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chargelock::pilesim {

// "2024-02-29T13:05:00.123Z".
std::string format_timestamp(std::int64_t unix_ms);

// Parses an RFC 3339 date-time with an offset ("Z", "+01:00"), optional
// fraction; nullopt when malformed.
std::optional<std::int64_t> parse_timestamp(std::string_view text);

}  // namespace chargelock::pilesim
