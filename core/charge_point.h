// A charge point: registration (id, password hash, security profile,
// registration status, location), boot information, connection state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/geo_location.h"
#include "core/timestamp.h"

namespace chargelock::core {

enum class RegistrationStatus { Accepted, Pending, Rejected };

// "Accepted", "Pending", "Rejected": the OCPP and the stored form.
inline const char* to_string(RegistrationStatus status) {
  switch (status) {
    case RegistrationStatus::Accepted:
      return "Accepted";
    case RegistrationStatus::Pending:
      return "Pending";
    case RegistrationStatus::Rejected:
      return "Rejected";
  }
  return "Rejected";
}
inline std::optional<RegistrationStatus> registration_status_from_string(std::string_view text) {
  if (text == "Accepted") return RegistrationStatus::Accepted;
  if (text == "Pending") return RegistrationStatus::Pending;
  if (text == "Rejected") return RegistrationStatus::Rejected;
  return std::nullopt;
}

// What a BootNotification reports (OCPP 1.6 BootNotification.req).
struct BootInfo {
  std::string vendor;
  std::string model;
  std::optional<std::string> charge_point_serial;
  std::optional<std::string> charge_box_serial;
  std::optional<std::string> firmware_version;
  std::optional<std::string> iccid;
  std::optional<std::string> imsi;
  std::optional<std::string> meter_type;
  std::optional<std::string> meter_serial;
};

// The data the websocket upgrade decision needs.
struct ChargePointAccess {
  std::string id;
  int security_profile = 1;                  // 1, 2 or 3
  std::optional<std::string> password_hash;  // see core/password_hash.h; none = no password
  RegistrationStatus registration_status = RegistrationStatus::Accepted;
};

// Where a pile is, and nothing else: what a lock's radius is tested
// against (a fan-out reads it for every pile of the network before its
// first command is written).
struct ChargePointPlace {
  std::string id;
  std::optional<GeoLocation> location;
};

struct NewChargePoint {
  std::string id;
  std::optional<std::string> password_hash;
  int security_profile = 1;
  RegistrationStatus registration_status = RegistrationStatus::Accepted;
  std::optional<GeoLocation> location;
};

// A partial update: only the fields that hold a value change. To clear the
// location or the password, set the matching clear_* flag.
struct ChargePointChange {
  std::optional<std::string> password_hash;
  bool clear_password = false;
  std::optional<int> security_profile;
  std::optional<RegistrationStatus> registration_status;
  std::optional<GeoLocation> location;
  bool clear_location = false;
};

struct ChargePointRecord {
  std::string id;
  int security_profile = 1;
  std::optional<std::string> password_hash;
  RegistrationStatus registration_status = RegistrationStatus::Accepted;
  std::optional<GeoLocation> location;
  std::optional<BootInfo> boot_info;  // none until the first BootNotification
  std::optional<Timestamp> last_boot_at;
  bool online = false;
  std::optional<Timestamp> last_seen;
  std::optional<std::string> connected_node;  // OCPP node holding the connection
  Timestamp created_at;
};

// A pile password that passed the PBKDF2 check, as a keyed hash (see
// core/verified_credentials.h); never the password itself.
struct VerifiedCredential {
  std::string charge_point_id;
  std::string mac;  // lower-case hex HMAC-SHA256
  Timestamp verified_at;
};

}  // namespace chargelock::core
