// Names numbered from a pattern: "SIM-{n}" with n = 7 is "SIM-7". Used for
// ranges of charge points (ids, passwords, certificate files). Pure; any
// thread.
#pragma once

#include <string>
#include <string_view>

namespace chargelock::base {

// Every "{n}" in `pattern` replaced by the decimal `n` (no padding); the
// rest is copied as it is.
std::string expand_pattern(std::string_view pattern, long n);

}  // namespace chargelock::base
