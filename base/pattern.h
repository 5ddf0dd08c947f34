// Names numbered from a pattern: "SIM-{n}" with n = 7 is "SIM-7". Used for
// ranges of charge points (ids, passwords, certificate files). Pure; any
// thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chargelock::base {

// Every "{n}" in `pattern` replaced by the decimal `n` (n >= 0), with
// leading zeros up to `digits` digits (0: none, as for ids and passwords;
// vehicle-feeder pads its VINs to 17 characters); the rest is copied as it is.
std::string expand_pattern(std::string_view pattern, long n, std::size_t digits = 0);

}  // namespace chargelock::base
