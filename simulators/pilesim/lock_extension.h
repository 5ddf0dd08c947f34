// The wire format of the ChargeLock lock extension (docs/lock-extension.md):
// DataTransfer with vendorId "org.chargelock" whose `data` is a JSON text.
//
//   CS → pile  LockVehicle    clear  {"lockId","vin","idTags":[…],"evccIds":[…]}
//                             hashed {"lockId","match":"sha256","salt","vinHash",
//                                     "idTagHashes":[…],"evccIdHashes":[…]}
//   CS → pile  UnlockVehicle  {"lockId"}
//   pile → CS  VehicleLocked  {"lockId","connectorId":N, "idTag"|"evccId"|"vin": seen
//                              [, "held":false]}
//   pile → CS  Capabilities   {"match":["sha256"]}
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
inline constexpr std::string_view kCapabilities = "Capabilities";

// Parses LockVehicle data, clear or hashed (`entry.hashed` set). nullopt
// (and `error` set) when the text is not a JSON object, lockId is missing or
// empty, a present member has the wrong type, `match` names a method other
// than "sha256", a hashed lock has no salt, or the lock names no identifier
// (nor hash) at all. Hashes are kept in lower case.
std::optional<LockEntry> parse_lock_vehicle(std::string_view data, std::string* error);

// Parses UnlockVehicle data: the lock id, or nullopt when missing.
std::optional<std::string> parse_unlock_vehicle(std::string_view data);

// The data text of VehicleLocked. "held" is sent only when false: version 1
// central systems know no such member, and holding is what a report means
// without it.
std::string vehicle_locked_data(const LockMatch& match, int connector_id, bool held = true);

// The data text of Capabilities for a pile that matches hashed identifiers.
std::string hashed_matching_capabilities_data();

}  // namespace chargelock::pilesim
