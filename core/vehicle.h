// Owners' vehicles (SPEC §5): VIN, the identifiers tied to it (id tags,
// EVCC ids) and the last known state the vehicle cloud platform reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/geo_location.h"
#include "core/timestamp.h"

namespace chargelock::core {

// Identifier kinds as stored: "idTag" or "evccId". `match_key` is what a
// pile's report is compared with (core computes it: core/vehicle_identity.h).
struct VehicleIdentifier {
  std::string kind;
  std::string value;
  std::string match_key;
};

struct VehicleState {
  double soc = 0;  // percent
  std::optional<GeoLocation> location;
  Timestamp reported_at;  // as reported by the platform
};

// An owner's registration of a vehicle: a claim until verified. Several
// owners may claim one VIN; at most one registration is verified (the
// vehicle's owner as far as locks, prompts and position are concerned).
struct NewVehicle {
  std::string vin;  // validated by core
  std::int64_t owner_id = 0;
  std::vector<VehicleIdentifier> identifiers;
};

struct Vehicle {
  std::string vin;
  std::int64_t owner_id = 0;  // the registration's owner
  bool verified = false;      // this registration is the verified binding
  std::optional<Timestamp> verified_at;
  std::optional<std::string> verified_by;  // "operator:<name>", "telematics:<name>"
  std::vector<std::string> id_tags;        // sorted
  std::vector<std::string> evcc_ids;       // sorted
  // The vehicle's (not the registration's) last state and prompt.
  std::optional<VehicleState> state;  // none before the first report
  std::optional<Timestamp> low_battery_prompted_at;
  Timestamp created_at;  // of the registration
};

}  // namespace chargelock::core
