// Time points for the domain; their text form (RFC 3339) is base/time.h's.
#pragma once

#include "base/time.h"

namespace chargelock::core {

using Clock = base::Clock;
using Timestamp = base::Timestamp;
using base::format_rfc3339;
using base::MissingOffset;
using base::parse_rfc3339;

}  // namespace chargelock::core
