// The energy meter of one connector and the vehicle charging on it: a
// cumulative energy register, and power, current, voltage and state of charge
// that follow a plausible AC charging curve (constant power up to 80 % SoC,
// tapering to 10 % of it at 100 %, then nothing).
#pragma once

#include <cstdint>

#include "simulators/pilesim/vehicle.h"

namespace chargelock::pilesim {

struct MeterReading {
  double energy_wh = 0;    // Energy.Active.Import.Register, never decreases
  double power_w = 0;      // Power.Active.Import
  double current_a = 0;    // Current.Import, per phase
  double voltage_v = 0;    // Voltage, phase to neutral
  double soc_percent = 0;  // SoC of the vehicle
  double offered_w = 0;    // Power.Offered
};

class MeterModel {
 public:
  static constexpr int kPhases = 3;

  explicit MeterModel(double start_energy_wh = 0) : energy_wh_(start_energy_wh) {}

  // A vehicle starts drawing power at `now_ms`; `evse_max_w` is what the
  // connector can deliver, `limit_w` a charging profile limit (<0: none).
  void begin(const Vehicle& vehicle, std::int64_t now_ms, double evse_max_w);
  // Integrates energy and SoC up to `now_ms`.
  void advance(std::int64_t now_ms, double limit_w);
  // Energy stops flowing (the register keeps its value).
  void end(std::int64_t now_ms, double limit_w);

  bool flowing() const { return flowing_; }
  double soc_percent() const { return soc_percent_; }
  double energy_wh() const { return energy_wh_; }
  MeterReading reading(std::int64_t now_ms, double limit_w) const;

 private:
  double power_at(double limit_w) const;

  double energy_wh_;
  double soc_percent_ = 0;
  double capacity_wh_ = 60000;
  double vehicle_max_w_ = 11000;
  double evse_max_w_ = 22000;
  std::int64_t last_ms_ = 0;
  bool flowing_ = false;
};

}  // namespace chargelock::pilesim
