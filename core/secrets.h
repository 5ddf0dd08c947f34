// Which values are secrets, and what shows in their place (SPEC §7): the
// one rule every layer applies before a value reaches the API, a log, the
// message log or a table in clear.
//
// Threading: pure functions, safe from any thread.
#pragma once

#include <string_view>

namespace chargelock::core {

// What a secret shows as wherever it must not be seen.
inline constexpr std::string_view kRedacted = "***";

// True for the configuration keys whose value is a credential: today
// AuthorizationKey, the pile's HTTP Basic password (OCPP 1.6 security
// whitepaper). Configuration keys are CiString50 (case-insensitive), so
// "authorizationkey" is the same key and must be hidden just the same.
bool is_secret_configuration_key(std::string_view key);

}  // namespace chargelock::core
