// SHA-256 as lower-case hex, the rule every digest here follows; hex and
// random hex are base/ids.h's. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/ids.h"

namespace chargelock::core {

using base::hex;
using base::random_hex;

// Lower-case hex SHA-256 of `text`. Throws std::runtime_error if OpenSSL fails.
std::string sha256_hex(std::string_view text);

}  // namespace chargelock::core
