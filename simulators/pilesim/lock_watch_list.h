// The vehicles a pile has been told to hold (ChargeLock lock extension,
// SPEC §4): each armed lock names a VIN, id tags and EVCC ids of one vehicle.
//
// Contract:
// - arm() adds a lock or replaces the one with the same lock id (the central
//   system may re-send LockVehicle; arming twice is harmless).
// - disarm() removes it; disarming an unknown lock id is harmless.
// - match() compares a plugged vehicle's id tag, EVCC id and VIN with every
//   armed lock, ignoring case (OCPP id tags are case-insensitive, VINs are
//   upper case by convention); empty identifiers never match. When several
//   identifiers match, the id tag wins over the EVCC id over the VIN; when
//   several locks match, the one armed first wins.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulators/pilesim/vehicle.h"

namespace chargelock::pilesim {

struct LockEntry {
  std::string lock_id;
  std::string vin;
  std::vector<std::string> id_tags;
  std::vector<std::string> evcc_ids;
};

enum class IdentifierKind { IdTag, EvccId, Vin };

// "idTag", "evccId" or "vin": the member name VehicleLocked uses.
std::string_view wire_name(IdentifierKind kind);

struct LockMatch {
  std::string lock_id;
  IdentifierKind kind = IdentifierKind::Vin;
  std::string value;  // the vehicle's identifier that matched
};

class LockWatchList {
 public:
  void arm(LockEntry entry);
  bool disarm(std::string_view lock_id);  // true when it was armed
  bool armed(std::string_view lock_id) const;
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  std::optional<LockMatch> match(const Vehicle& vehicle) const;

 private:
  std::vector<LockEntry> entries_;
};

}  // namespace chargelock::pilesim
