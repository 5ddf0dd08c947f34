// The token of an "Authorization: Bearer <token>" header value (RFC 6750):
// the scheme case-insensitive, one space, surrounding spaces trimmed.
// Nothing for another scheme or an empty token. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chargelock::api {

std::optional<std::string> bearer_token(std::string_view header_value);

}  // namespace chargelock::api
