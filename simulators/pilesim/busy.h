// Busy-network mode: random vehicles plug into random connectors, charge for
// a while and leave. Idle and session times are exponentially distributed
// around the given means; vehicles get random id tags, EVCC ids and VINs, so
// they never match a lock unless a scenario says so.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "simulators/pilesim/charge_point.h"

namespace chargelock::pilesim {

class BusyDriver {
 public:
  // `tag_pool` > 0: vehicles carry id tags BUSY-1..BUSY-<tag_pool>.
  BusyDriver(std::size_t piles, int connectors, double mean_idle_s, double mean_session_s,
             std::uint32_t seed, std::int64_t now, int tag_pool = 0);

  // Does what is due on pile `index` (plug in and start, or stop and leave).
  // Returns true when it acted, so the caller carries out the pile's effects.
  bool step(std::size_t index, ChargePoint& pile, std::int64_t now);

 private:
  std::int64_t draw(double mean_s);
  Vehicle random_vehicle();

  int connectors_;
  int tag_pool_;
  double mean_idle_s_;
  double mean_session_s_;
  std::mt19937 rng_;
  std::vector<std::int64_t> next_;  // per pile and connector
};

}  // namespace chargelock::pilesim
