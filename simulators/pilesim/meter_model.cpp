#include "simulators/pilesim/meter_model.h"

#include <algorithm>
#include <cmath>

namespace chargelock::pilesim {

void MeterModel::begin(const Vehicle& vehicle, std::int64_t now_ms, double evse_max_w) {
  soc_percent_ = std::clamp(vehicle.soc_percent, 0.0, 100.0);
  capacity_wh_ = std::max(1.0, vehicle.capacity_kwh) * 1000.0;
  vehicle_max_w_ = std::max(0.0, vehicle.max_power_kw) * 1000.0;
  evse_max_w_ = evse_max_w;
  last_ms_ = now_ms;
  flowing_ = true;
}

double MeterModel::power_at(double limit_w) const {
  if (!flowing_ || soc_percent_ >= 100.0) return 0;
  double power = std::min(vehicle_max_w_, evse_max_w_);
  if (limit_w >= 0) power = std::min(power, limit_w);
  if (soc_percent_ > 80.0) power *= std::max(0.1, (100.0 - soc_percent_) / 20.0);
  return std::max(0.0, power);
}

void MeterModel::advance(std::int64_t now_ms, double limit_w) {
  if (!flowing_ || now_ms <= last_ms_) return;
  // Integrate in steps of at most one minute so the taper is followed.
  while (last_ms_ < now_ms) {
    const std::int64_t step = std::min<std::int64_t>(60000, now_ms - last_ms_);
    const double wh = power_at(limit_w) * static_cast<double>(step) / 3600000.0;
    energy_wh_ += wh;
    soc_percent_ = std::min(100.0, soc_percent_ + wh / capacity_wh_ * 100.0);
    last_ms_ += step;
  }
}

void MeterModel::end(std::int64_t now_ms, double limit_w) {
  advance(now_ms, limit_w);
  flowing_ = false;
}

MeterReading MeterModel::reading(std::int64_t now_ms, double limit_w) const {
  MeterReading r;
  r.energy_wh = energy_wh_;
  r.power_w = power_at(limit_w);
  // Mains voltage wanders by a volt or two around 230 V.
  r.voltage_v = 230.0 + 1.5 * std::sin(static_cast<double>(now_ms % 86400000) / 37000.0);
  r.current_a = r.power_w / (kPhases * r.voltage_v);
  r.soc_percent = soc_percent_;
  r.offered_w = limit_w >= 0 ? std::min(limit_w, evse_max_w_) : evse_max_w_;
  return r;
}

}  // namespace chargelock::pilesim
