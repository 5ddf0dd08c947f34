// `chargelock chargepoint add ID [--password P] [--profile N] [--lat X --lon Y]
//  [--pending|--rejected] [--if-missing]`: registers a charge point from the
// command line (the quick start's demo piles, scripts).
// `chargelock chargepoint add-range PREFIX FROM TO [--password-pattern P]
//  [--profile N] [--pending|--rejected] [--jobs J]`: registers PREFIX{FROM}
// … PREFIX{TO} in bulk (the benchmark's thousands of piles); ids that exist
// already are skipped; `{n}` in the password pattern is the pile's number.
// PBKDF2 per password dominates; J threads hash and insert in parallel.
// Returns the exit code.
#pragma once

#include <string>
#include <vector>

#include "core/central_system.h"

namespace chargelock::app {

int run_chargepoint_command(const std::vector<std::string>& arguments,
                            core::CentralSystem& central);

}  // namespace chargelock::app
