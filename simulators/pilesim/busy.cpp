#include "simulators/pilesim/busy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace chargelock::pilesim {

BusyDriver::BusyDriver(std::size_t piles, int connectors, double mean_idle_s, double mean_session_s,
                       std::uint32_t seed, std::int64_t now, int tag_pool)
    : connectors_(connectors),
      tag_pool_(tag_pool),
      mean_idle_s_(mean_idle_s),
      mean_session_s_(mean_session_s),
      rng_(seed),
      next_(piles * static_cast<std::size_t>(connectors)) {
  for (auto& at : next_) at = now + draw(mean_idle_s_);
}

std::int64_t BusyDriver::draw(double mean_s) {
  std::exponential_distribution<double> dist(1.0 / mean_s);
  return static_cast<std::int64_t>(std::min(dist(rng_), mean_s * 20) * 1000.0) + 1000;
}

Vehicle BusyDriver::random_vehicle() {
  static const char kVinChars[] = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
  Vehicle vehicle;
  const auto serial = rng_();
  vehicle.id_tag =
      "BUSY-" + std::to_string(tag_pool_ > 0 ? 1 + serial % static_cast<unsigned>(tag_pool_)
                                             : serial % 100000000);
  vehicle.vin = "SIM";
  for (int i = 0; i < 14; ++i) vehicle.vin += kVinChars[rng_() % (sizeof kVinChars - 1)];
  if (rng_() % 2 == 0) {
    char evcc[16];
    std::snprintf(evcc, sizeof evcc, "%012X", static_cast<unsigned>(rng_()));
    vehicle.evcc_id = evcc;
  }
  std::uniform_real_distribution<double> soc(5, 70), capacity(40, 100), power(7, 22);
  vehicle.soc_percent = std::round(soc(rng_));
  vehicle.capacity_kwh = std::round(capacity(rng_));
  vehicle.max_power_kw = std::round(power(rng_));
  return vehicle;
}

bool BusyDriver::step(std::size_t index, ChargePoint& pile, std::int64_t now) {
  bool acted = false;
  for (int c = 1; c <= connectors_; ++c) {
    std::int64_t& next =
        next_[index * static_cast<std::size_t>(connectors_) + static_cast<std::size_t>(c - 1)];
    if (next > now) continue;
    acted = true;
    if (pile.plugged(c)) {
      if (pile.charging(c)) pile.stop_charging(c, now);
      // A held vehicle cannot leave; try again later.
      next = now + (pile.unplug(c, now).ok ? draw(mean_idle_s_) : draw(mean_session_s_));
    } else {
      next = now + (pile.plug_in(c, random_vehicle(), true, now).ok ? draw(mean_session_s_)
                                                                    : draw(mean_idle_s_));
    }
  }
  return acted;
}

}  // namespace chargelock::pilesim
