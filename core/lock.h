// Vehicle locks (SPEC §4), the domain's records: a lock and its states, the
// piles it was sent to, the sightings of its car, the audit trail.
//
// Statuses are stored as their text form (to_string below).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/charge_point.h"
#include "core/command.h"
#include "core/lock_delivery.h"
#include "core/timestamp.h"

namespace chargelock::core {

// A lock's state (SPEC §4; the state machine is in lock_service.h).
enum class LockStatus { Requested, Armed, Engaged, Released, Cancelled, Expired };

// "requested", "armed", "engaged", "released", "cancelled", "expired": the
// API and the stored form.
inline const char* to_string(LockStatus status) {
  switch (status) {
    case LockStatus::Requested:
      return "requested";
    case LockStatus::Armed:
      return "armed";
    case LockStatus::Engaged:
      return "engaged";
    case LockStatus::Released:
      return "released";
    case LockStatus::Cancelled:
      return "cancelled";
    case LockStatus::Expired:
      return "expired";
  }
  return "expired";
}
inline std::optional<LockStatus> lock_status_from_string(std::string_view text) {
  for (LockStatus s : {LockStatus::Requested, LockStatus::Armed, LockStatus::Engaged,
                       LockStatus::Released, LockStatus::Cancelled, LockStatus::Expired})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

// One pile's state for a lock (what its answers said; see LockPileCounts).
enum class PileStatus { Pending, Armed, Unsupported, Disarmed };

// "pending", "armed", "unsupported", "disarmed": the API and the stored form.
inline const char* to_string(PileStatus status) {
  switch (status) {
    case PileStatus::Pending:
      return "pending";
    case PileStatus::Armed:
      return "armed";
    case PileStatus::Unsupported:
      return "unsupported";
    case PileStatus::Disarmed:
      return "disarmed";
  }
  return "pending";
}
inline std::optional<PileStatus> pile_status_from_string(std::string_view text) {
  for (PileStatus s :
       {PileStatus::Pending, PileStatus::Armed, PileStatus::Unsupported, PileStatus::Disarmed})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

struct NewLock {
  std::string id;
  std::string vin;
  std::int64_t owner_id = 0;
  std::optional<GeoLocation> center;  // with radius_km: radius scope
  std::optional<double> radius_km;
  Timestamp expires_at{};
  std::optional<std::string> case_reference{};
  std::string cause;  // audit text of the creation
};

struct LockRecord {
  std::string id;
  std::string vin;
  std::int64_t owner_id = 0;
  LockStatus status = LockStatus::Requested;
  std::optional<GeoLocation> center;
  std::optional<double> radius_km;
  std::optional<std::string> charge_point_id;
  std::optional<int> connector_id;
  std::optional<std::string> matched_kind;  // "idTag", "evccId", "vin"
  std::optional<std::string> matched_value;
  bool engaged_without_hold = false;
  std::optional<Timestamp> engaged_at;
  std::optional<std::int64_t> release_command_id;
  std::optional<std::string> release_error;
  Timestamp expires_at{};
  std::optional<Timestamp> expiry_warned_at{};
  std::optional<std::string> case_reference{};
  Timestamp created_at;
  Timestamp updated_at;
};

// A change of a lock, applied only while its status is one of `from` (any
// status when empty). When `to` is set the status changes and a transition
// row (from → to, cause) is recorded, also for to == from. Fields holding a
// value are written; the others keep their value.
struct LockUpdate {
  std::string lock_id;
  std::vector<LockStatus> from;
  std::optional<LockStatus> to;
  std::string cause;
  std::optional<std::string> charge_point_id;
  std::optional<int> connector_id;
  bool clear_connector_id = false;
  std::optional<std::string> matched_kind;
  std::optional<std::string> matched_value;
  std::optional<bool> engaged_without_hold;
  std::optional<Timestamp> engaged_at;
  std::optional<std::int64_t> release_command_id;
  std::optional<std::string> release_error;
  bool clear_release_error = false;
  std::optional<Timestamp> expires_at{};
  std::optional<Timestamp> expiry_warned_at{};
  std::optional<std::string> case_reference{};
  std::optional<Timestamp> at;  // time of the transition (default now)
};

// A catch or a Blocked attempt: where and when the vehicle was seen, what
// identified it, and whether the pile holds it. Kept as evidence.
struct NewSighting {
  std::string lock_id;
  std::string charge_point_id;
  std::optional<int> connector_id;
  std::string source;  // "VehicleLocked", "Authorize", "StartTransaction", "Transaction"
  std::optional<std::string> matched_kind;  // "idTag", "evccId", "vin"
  std::optional<std::string> matched_value;
  bool held = false;
  std::optional<int> transaction_id;
};

struct Sighting {
  std::int64_t id = 0;
  std::string lock_id;
  std::string charge_point_id;
  std::optional<int> connector_id;
  Timestamp at;
  std::string source;
  std::optional<std::string> matched_kind;
  std::optional<std::string> matched_value;
  bool held = false;
  std::optional<int> transaction_id;
  std::optional<GeoLocation> location;  // the pile's, when the sighting was recorded
};

// What a pile reported when it asked about an identifier (Authorize,
// StartTransaction): matched against id tags exactly, EVCC ids by their
// match key, and the VIN (GB/T VIN charging).
struct IdentifierProbe {
  std::string id_tag;
  std::string evcc_key;
  std::string vin;  // upper case
};

struct LockFilter {
  std::optional<LockStatus> status;
  std::optional<std::string> charge_point_id;  // held, sighted or sent to there
  int limit = 100;
};

struct LockPile {
  std::string lock_id;
  std::string charge_point_id;
  PileStatus status = PileStatus::Pending;
  std::optional<std::int64_t> command_id;
  std::optional<std::int64_t> unlock_command_id;
  std::optional<std::string> detail;
  Timestamp updated_at;
  int attempts = 0;                   // deliveries that failed with a CALLERROR
  std::optional<Timestamp> retry_at;  // when to send the failed one again
  // From the LockVehicle command (command_id), when it still exists.
  std::optional<CommandStatus> command_status;
  std::optional<std::string> command_response_json;
  std::optional<std::string> command_error_code;
  // From the UnlockVehicle command (unlock_command_id), when it exists.
  std::optional<CommandStatus> unlock_status;
  std::optional<std::string> unlock_response_json;
  std::optional<std::string> unlock_error_code;
  bool online = false;  // the pile is connected to a node now
};

// A change of one pile's row that applies only while the row is as it was
// read (status and both command ids): two nodes, or a sweep and an answer,
// cannot both act on one outcome (e.g. re-send one LockVehicle twice).
struct LockPileChange {
  LockPile next;  // status, command ids, detail, attempts, retry_at
  PileStatus expected_status = PileStatus::Pending;
  std::optional<std::int64_t> expected_command_id;
  std::optional<std::int64_t> expected_unlock_command_id;
};

// How many of a lock's piles are in a status, and whether they are online.
struct LockPileCount {
  PileStatus status = PileStatus::Pending;
  bool online = false;
  int count = 0;
};

struct LockTransition {
  std::int64_t id = 0;
  std::string lock_id;
  Timestamp at;
  std::optional<LockStatus> from_status;  // none for the creation
  LockStatus to_status = LockStatus::Requested;
  std::string cause;
};

// What an owner or operator reads of a lock (GET /locks/{id}): the row, how
// many of its piles are in each status, its trail and its sightings, read
// by one statement (one snapshot, one round trip).
struct LockSummary {
  LockRecord lock;
  // Online is told apart only where the view needs it (an ended lock's
  // armed and pending piles, see LockPileCounts::pending_offline); other
  // counts say offline.
  std::vector<LockPileCount> pile_counts;
  std::vector<LockTransition> transitions;  // by id
  std::vector<Sighting> sightings;          // oldest first
};

}  // namespace chargelock::core
