// Owners' vehicles (SPEC §5): VIN, the identifiers tied to it (id tags,
// EVCC ids) and the last known state the vehicle cloud platform reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/charge_point_store.h"
#include "storage/timestamp.h"

namespace chargelock::storage {

// Identifier kinds as stored: "idTag" or "evccId".
struct VehicleIdentifier {
  std::string kind;
  std::string value;
};

struct VehicleState {
  double soc = 0;  // percent
  std::optional<GeoLocation> location;
  Timestamp reported_at;  // as reported by the platform
};

struct NewVehicle {
  std::string vin;  // validated by core
  std::int64_t owner_id = 0;
  std::vector<std::string> id_tags;
  std::vector<std::string> evcc_ids;
};

struct VehicleRecord {
  std::string vin;
  std::int64_t owner_id = 0;
  std::vector<std::string> id_tags;   // sorted
  std::vector<std::string> evcc_ids;  // sorted
  std::optional<VehicleState> state;  // none before the first report
  std::optional<Timestamp> low_battery_prompted_at;
  Timestamp created_at;
};

class VehicleStore {
 public:
  virtual ~VehicleStore() = default;

  // Creates the vehicle, or replaces the identifiers of the owner's existing
  // one. Throws ConflictError when the VIN belongs to another owner or an
  // identifier to another vehicle (nothing changes then); NotFoundError for
  // an unknown owner.
  virtual VehicleRecord put(const NewVehicle& vehicle) = 0;
  virtual std::optional<VehicleRecord> find(const std::string& vin) = 0;
  virtual std::vector<VehicleRecord> list_for_owner(std::int64_t owner_id) = 0;  // by VIN
  // The vehicle an identifier value belongs to (either kind).
  virtual std::optional<VehicleRecord> find_by_identifier(const std::string& value) = 0;
  // Which vehicle holds the identifier of that kind, if any.
  virtual std::optional<std::string> vin_of(const VehicleIdentifier& identifier) = 0;

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

}  // namespace chargelock::storage
