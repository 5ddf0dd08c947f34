// `chargelock chargepoint add ID [--password P] [--profile N] [--lat X --lon Y]
//  [--pending|--rejected] [--if-missing]`: registers a charge point from the
// command line (the quick start's demo piles, scripts). Returns the exit code.
#pragma once

#include <string>
#include <vector>

#include "core/central_system.h"

namespace chargelock::app {

int run_chargepoint_command(const std::vector<std::string>& arguments,
                            core::CentralSystem& central);

}  // namespace chargelock::app
