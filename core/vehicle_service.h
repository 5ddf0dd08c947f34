// Owners' vehicles (SPEC §5): registration with the VIN and the identifiers
// a pile may see (id tags, EVCC ids). A VIN or identifier belongs to one
// owner (and one vehicle).
//
// Threading: called on worker threads; blocks on the database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain_errors.h"
#include "storage/vehicle_store.h"

namespace chargelock::core {

using Vehicle = storage::VehicleRecord;
using VehicleState = storage::VehicleState;

struct VehicleRegistration {
  std::int64_t owner_id = 0;
  std::string vin;
  std::vector<std::string> id_tags;   // 1..20 characters each (OCPP IdToken)
  std::vector<std::string> evcc_ids;  // 1..64 characters each
};

class VehicleService {
 public:
  explicit VehicleService(storage::VehicleStore& vehicles);

  // 17 characters of A-Z and 0-9 except I, O and Q (case-insensitive).
  static bool valid_vin(const std::string& vin);
  // Upper case.
  static std::string normalize_vin(const std::string& vin);

  // Registers the vehicle, or replaces the identifiers of the owner's own
  // one (`created` tells which). Throws std::invalid_argument (what() names
  // the field) for a bad VIN or identifier; ConflictError when the VIN
  // belongs to another owner or an identifier to another vehicle;
  // NotFoundError for an unknown owner.
  Vehicle register_vehicle(const VehicleRegistration& registration, bool* created = nullptr);

  std::optional<Vehicle> find(const std::string& vin);
  std::vector<Vehicle> list(std::int64_t owner_id);
  // The owner's vehicle: NotFoundError when unknown, ForbiddenError when it
  // belongs to another owner.
  Vehicle owned(std::int64_t owner_id, const std::string& vin);

 private:
  storage::VehicleStore& vehicles_;
};

}  // namespace chargelock::core
