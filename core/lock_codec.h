// JSON of the vehicle lock (SPEC §4): the DataTransfer payloads of the
// org.chargelock extension (whose `data` is a JSON text inside the JSON
// payload), the few fields of command answers the lock reads, and the
// owners' notification bodies.
//
// Core otherwise carries JSON only as opaque text; this codec is the one
// place in core that builds or reads it (RapidJSON, as in ocpp/), so that
// the lock extension and its policy live in core and the CentralSystem
// registers them without the OCPP layer knowing about locks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json_writer.h"
#include "core/geo_location.h"

namespace chargelock::core::lock_codec {

inline constexpr const char* kVendorId = "org.chargelock";
inline constexpr const char* kLockVehicle = "LockVehicle";
inline constexpr const char* kUnlockVehicle = "UnlockVehicle";
inline constexpr const char* kVehicleLocked = "VehicleLocked";
inline constexpr const char* kCapabilities = "Capabilities";

// DataTransfer.req payloads (CS → pile).
std::string lock_vehicle_payload(const std::string& lock_id, const std::string& vin,
                                 const std::vector<std::string>& id_tags,
                                 const std::vector<std::string>& evcc_ids);
// The hashed form (docs/lock-extension.md, version 2): each identifier as
// the hex SHA-256 of `salt` followed by its compare form
// (core/vehicle_identity.h), for piles that declared hashed matching.
std::string lock_vehicle_hashed_payload(const std::string& lock_id, const std::string& salt,
                                        const std::string& vin,
                                        const std::vector<std::string>& id_tags,
                                        const std::vector<std::string>& evcc_ids);
std::string unlock_vehicle_payload(const std::string& lock_id);
// UnlockConnector.req payload.
std::string unlock_connector_payload(int connector_id);

// VehicleLocked data (pile → CS).
struct VehicleLocked {
  std::string lock_id;
  int connector_id = 0;
  std::string matched_kind;  // "idTag", "evccId" or "vin"
  std::string matched_value;
  // false: the pile matched the vehicle but cannot hold the cable (e.g. the
  // car controls the inlet lock). Optional on the wire, true by default.
  bool held = true;
};
// Nothing (and `error` says why) unless the text is a JSON object with a
// non-empty string lockId, an integer connectorId ≥ 1, a non-empty string
// idTag, evccId or vin, and `held` (when present) a boolean.
std::optional<VehicleLocked> parse_vehicle_locked(const std::string& data, std::string* error);

// Capabilities data (pile → CS): whether "sha256" is among "match"; nothing
// unless the text is a JSON object whose "match" is an array of strings.
std::optional<bool> parse_hashed_matching(const std::string& data);

// The "status" string member of a JSON object (a CALLRESULT payload).
std::optional<std::string> status_of(const std::string& json);
// A string member of a JSON object.
std::optional<std::string> string_member(const std::string& json, const char* name);
// An integer member of a JSON object.
std::optional<std::int64_t> int_member(const std::string& json, const char* name);

// A flat JSON object for notification bodies, members in the order added
// (base::JsonWriter underneath).
class ObjectWriter {
 public:
  ObjectWriter() { writer_.begin_object(); }
  ObjectWriter& add(const char* name, const std::string& value);
  ObjectWriter& add(const char* name, const char* value);
  ObjectWriter& add(const char* name, std::int64_t value);
  ObjectWriter& add(const char* name, int value) { return add(name, std::int64_t{value}); }
  ObjectWriter& add(const char* name, double value);
  ObjectWriter& add(const char* name, bool value);
  ObjectWriter& add_null(const char* name);
  // {"lat":…,"lon":…} or null.
  ObjectWriter& add(const char* name, const std::optional<GeoLocation>& location);
  // A member holding a JSON text verbatim (must be valid JSON).
  ObjectWriter& add_raw(const char* name, const std::string& json);
  // Closes the object (no member may follow) and returns its text.
  std::string str();

 private:
  base::JsonWriter writer_;  // the object opened by the constructor
  bool closed_ = false;
};

}  // namespace chargelock::core::lock_codec
