// The wire format of the ChargeLock lock extension (SPEC §4): DataTransfer
// with vendorId "org.chargelock" whose `data` is a JSON text.
//
//   CS → pile  LockVehicle    {"lockId","vin","idTags":[…],"evccIds":[…]}
//   CS → pile  UnlockVehicle  {"lockId"}
//   pile → CS  VehicleLocked  {"lockId","connectorId":N, "idTag"|"evccId"|"vin": matched}
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "simulators/pilesim/lock_watch_list.h"

namespace chargelock::pilesim {

inline constexpr std::string_view kLockVendorId = "org.chargelock";
inline constexpr std::string_view kLockVehicle = "LockVehicle";
inline constexpr std::string_view kUnlockVehicle = "UnlockVehicle";
inline constexpr std::string_view kVehicleLocked = "VehicleLocked";

// Parses LockVehicle data. nullopt (and `error` set) when the text is not a
// JSON object, lockId is missing or empty, a present member has the wrong
// type, or the lock names no identifier at all.
std::optional<LockEntry> parse_lock_vehicle(std::string_view data, std::string* error);

// Parses UnlockVehicle data: the lock id, or nullopt when missing.
std::optional<std::string> parse_unlock_vehicle(std::string_view data);

// The data text of VehicleLocked.
std::string vehicle_locked_data(const LockMatch& match, int connector_id);

}  // namespace chargelock::pilesim
