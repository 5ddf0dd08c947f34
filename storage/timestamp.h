// The time type shared by storage records. PostgreSQL keeps microseconds;
// finer parts of a time point are truncated when stored.
#pragma once

#include <chrono>

namespace chargelock::storage {

using Clock = std::chrono::system_clock;
using Timestamp = Clock::time_point;

}  // namespace chargelock::storage
