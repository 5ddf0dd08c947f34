#include "core/telematics_service.h"

#include <cmath>
#include <stdexcept>

#include "core/domain_errors.h"
#include "core/lock_codec.h"
#include "core/vehicle_service.h"

namespace chargelock::core {

TelematicsService::TelematicsService(storage::VehicleStore& vehicles,
                                     NotificationService& notifications, TelematicsConfig config)
    : vehicles_(vehicles), notifications_(notifications), config_(config) {}

TelematicsResult TelematicsService::report(const TelematicsStatus& status) {
  if (!std::isfinite(status.soc) || status.soc < 0 || status.soc > 100)
    throw std::invalid_argument("soc: must be a number from 0 to 100");
  if (status.location &&
      (!std::isfinite(status.location->latitude) || std::abs(status.location->latitude) > 90 ||
       !std::isfinite(status.location->longitude) || std::abs(status.location->longitude) > 180))
    throw std::invalid_argument("lat/lon: must be -90..90 and -180..180");
  const std::string vin = VehicleService::normalize_vin(status.vin);
  const auto vehicle = vehicles_.find(vin);
  if (!vehicle) throw NotFoundError("no vehicle " + vin);

  TelematicsResult result;
  result.stored = vehicles_.report_state(vin, {status.soc, status.location, status.timestamp});
  if (!result.stored) return result;
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
