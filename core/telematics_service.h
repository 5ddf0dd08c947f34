// Vehicle cloud platform reports (SPEC §5): the last known state of a
// vehicle, and the low-battery prompt that offers the owner a lock.
//
// Rule: a report whose state of charge is below the threshold sends the
// owner one "low_battery" notification; further low reports send none until
// a report above the threshold re-arms the prompt. Reports older than the
// stored one change nothing.
//
// Threading: called on worker threads; blocks on the database.
#pragma once

#include <optional>
#include <string>

#include "core/notification_service.h"
#include "core/stores/vehicle_store.h"
#include "core/timestamp.h"

namespace chargelock::core {

struct TelematicsConfig {
  double low_battery_threshold = 20;  // percent
};

struct TelematicsStatus {
  std::string vin;
  double soc = 0;                       // percent, 0..100
  std::optional<GeoLocation> location;  // lat -90..90, lon -180..180
  Timestamp timestamp;
  // The reporting platform's VINs (its token's scope); none: every VIN.
  std::optional<std::vector<std::string>> platform_vins{};
};

struct TelematicsResult {
  bool stored = false;    // false: an older report than the stored one
  bool prompted = false;  // this report sent the low-battery prompt
};

class TelematicsService {
 public:
  TelematicsService(VehicleStore& vehicles, NotificationService& notifications,
                    TelematicsConfig config);

  // Throws std::invalid_argument (what() names the field) for a bad soc or
  // position, or a timestamp more than 5 minutes ahead of this clock (one
  // bad report would otherwise hide every later one); ForbiddenError for a
  // VIN outside the platform's; NotFoundError (core/domain_errors.h) for
  // an unknown VIN. The low-battery prompt goes to the verified owner only.
  TelematicsResult report(const TelematicsStatus& status);

  const TelematicsConfig& config() const { return config_; }

 private:
  VehicleStore& vehicles_;
  NotificationService& notifications_;
  TelematicsConfig config_;
};

}  // namespace chargelock::core
