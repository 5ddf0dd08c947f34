#include "core/telematics_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "core/domain_errors.h"
#include "core/lock_codec.h"
#include "core/vehicle_service.h"

namespace chargelock::core {

namespace {
// Platforms' clocks drift; five minutes is the contract (SPEC §4.1).
constexpr auto kMaxClockSkew = std::chrono::minutes(5);
}  // namespace

TelematicsService::TelematicsService(VehicleStore& vehicles, NotificationService& notifications,
                                     TelematicsConfig config)
    : vehicles_(vehicles), notifications_(notifications), config_(config) {}

TelematicsResult TelematicsService::report(const TelematicsStatus& status) {
  if (!std::isfinite(status.soc) || status.soc < 0 || status.soc > 100)
    throw std::invalid_argument("soc: must be a number from 0 to 100");
  if (status.location &&
      (!std::isfinite(status.location->latitude) || std::abs(status.location->latitude) > 90 ||
       !std::isfinite(status.location->longitude) || std::abs(status.location->longitude) > 180))
    throw std::invalid_argument("lat/lon: must be -90..90 and -180..180");
  if (status.timestamp > Clock::now() + kMaxClockSkew)
    throw std::invalid_argument("timestamp: more than 5 minutes in the future");
  const std::string vin = VehicleService::normalize_vin(status.vin);
  if (status.platform_vins &&
      std::none_of(status.platform_vins->begin(), status.platform_vins->end(),
                   [&](const std::string& v) { return VehicleService::normalize_vin(v) == vin; }))
    throw ForbiddenError("vehicle " + vin + " is not one of this platform's VINs");
  if (!vehicles_.known(vin)) throw NotFoundError("no vehicle " + vin);
  const auto vehicle = vehicles_.find(vin);  // the verified owner's

  TelematicsResult result;
  result.stored = vehicles_.report_state(vin, {status.soc, status.location, status.timestamp});
  if (!result.stored) return result;
  if (!vehicle) return result;  // nobody to prompt until the binding is verified
  if (status.soc < config_.low_battery_threshold) {
    if (vehicles_.claim_low_battery_prompt(vin, Clock::now())) {
      notifications_.notify(vehicle->owner_id, notification_kind::kLowBattery,
                            lock_codec::ObjectWriter()
                                .add("vin", vin)
                                .add("soc", status.soc)
                                .add("threshold", config_.low_battery_threshold)
                                .add("location", status.location)
                                .add("timestamp", format_rfc3339(status.timestamp))
                                .add("offersLock", true)
                                .add("lockPath", "/api/v1/vehicles/" + vin + "/lock")
                                .str());
      result.prompted = true;
    }
  } else if (status.soc > config_.low_battery_threshold) {
    vehicles_.rearm_low_battery_prompt(vin);
  }
  return result;
}

}  // namespace chargelock::core
