// Owners' vehicles (SPEC §5): VIN, the identifiers tied to it (id tags,
// EVCC ids) and the last known state the vehicle cloud platform reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/stores/charge_point_store.h"
#include "core/timestamp.h"
#include "core/vehicle.h"

namespace chargelock::core {

class VehicleStore {
 public:
  virtual ~VehicleStore() = default;

  // Creates the owner's registration of the VIN, or replaces its
  // identifiers. Throws ConflictError when one of the identifiers is on
  // another vehicle of the same owner (nothing changes then); NotFoundError
  // for an unknown owner.
  virtual Vehicle put(const NewVehicle& vehicle) = 0;
  // The verified registration of the VIN.
  virtual std::optional<Vehicle> find(const std::string& vin) = 0;
  // That owner's registration of the VIN (verified or not).
  virtual std::optional<Vehicle> find_registration(const std::string& vin,
                                                   std::int64_t owner_id) = 0;
  // Every registration of the VIN, oldest first.
  virtual std::vector<Vehicle> registrations(const std::string& vin) = 0;
  virtual std::vector<Vehicle> list_for_owner(std::int64_t owner_id) = 0;  // by VIN
  // Makes the owner's registration the verified one (another owner's
  // verification ends). Throws NotFoundError when the owner has no
  // registration of the VIN; ConflictError when one of its identifiers is
  // on another verified vehicle.
  virtual Vehicle verify(const std::string& vin, std::int64_t owner_id,
                         const std::string& verified_by) = 0;
  // Deletes the owner's registration (and the binding when it was the
  // verified one); the vehicle's row, its locks and their evidence stay.
  // Returns whether there was one.
  virtual bool remove_registration(const std::string& vin, std::int64_t owner_id) = 0;
  // The verified vehicles that have an identifier with this match key
  // (of either kind).
  virtual std::vector<Vehicle> find_verified_by_key(const std::string& match_key) = 0;
  // Whether any owner registered the VIN.
  virtual bool known(const std::string& vin) = 0;

  // Stores the state unless a newer report is already stored. Returns
  // whether it was stored; false also for an unknown VIN.
  virtual bool report_state(const std::string& vin, const VehicleState& state) = 0;
  // Marks the low-battery prompt sent at `at` unless it already is. Returns
  // whether this call marked it (exactly one caller wins).
  virtual bool claim_low_battery_prompt(const std::string& vin, Timestamp at) = 0;
  // Clears the mark (the state of charge rose above the threshold again).
  // Returns whether it was set.
  virtual bool rearm_low_battery_prompt(const std::string& vin) = 0;
};

}  // namespace chargelock::core
