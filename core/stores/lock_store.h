// Vehicle locks (SPEC §4): the lock authorizations, the piles each was sent
// to, and the audit trail of every state change.
//
// Statuses are stored as their text form (to_string below).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/lock_delivery.h"
#include "core/stores/charge_point_store.h"
#include "core/stores/command_store.h"
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

class LockStore {
 public:
  virtual ~LockStore() = default;

  // Creates the lock in status "requested" (with its creation transition)
  // unless the vehicle already has an active one (requested, armed or
  // engaged): then returns that one with created = false. Throws
  // NotFoundError for an unknown vehicle or owner.
  struct Created {
    LockRecord lock;
    bool created = false;
  };
  virtual Created create(const NewLock& lock) = 0;

  virtual std::optional<LockRecord> find(const std::string& id) = 0;
  virtual std::optional<LockRecord> active_for_vehicle(const std::string& vin) = 0;
  // The oldest active lock whose vehicle (as its owner registered it) has
  // the identifier.
  virtual std::optional<LockRecord> active_for_identifier(const IdentifierProbe& probe) = 0;
  virtual std::vector<LockRecord> list_active() = 0;                          // oldest first
  virtual std::vector<LockRecord> list_for_owner(std::int64_t owner_id) = 0;  // newest first
  // Every lock (operators), newest first.
  virtual std::vector<LockRecord> list(const LockFilter& filter) = 0;
  // How many locks the vehicle's owners requested since `since`.
  virtual int requested_since(const std::string& vin, Timestamp since) = 0;
  // Active locks whose expires_at is before `before`.
  virtual std::vector<LockRecord> expiring_before(Timestamp before) = 0;
  // Engaged locks held at a charge point.
  virtual std::vector<LockRecord> engaged_at(const std::string& charge_point_id) = 0;

  // Applies `update` atomically (see LockUpdate). Returns the updated lock,
  // or nothing when the lock is unknown or not in a `from` status.
  virtual std::optional<LockRecord> update(const LockUpdate& update) = 0;

  // Creates or replaces the lock's row for a pile (status, command ids,
  // detail).
  virtual void put_pile(const LockPile& pile) = 0;
  // put_pile() for many rows, in a few statements (a lock's fan-out).
  virtual void put_piles(const std::vector<LockPile>& piles) = 0;
  // Holds the lock's row until the transaction ends: exclusively for its
  // fan-out, shared for one pile's arming at its boot, so the two never
  // insert the same pile rows in opposite orders (a deadlock).
  virtual void hold(const std::string& lock_id, bool exclusive) = 0;
  // Inserts rows for piles that have none for the lock yet (a fan-out and a
  // pile's boot may race); returns the charge point ids inserted.
  virtual std::vector<std::string> add_piles(const std::vector<LockPile>& piles) = 0;
  // A lock's LockVehicle fan-out in one statement: for every listed pile
  // that still exists and has no row for the lock yet, the command is
  // queued (hashed_payload_json for piles that declared hashed matching)
  // and the row written pending with it; one NOTIFY wakes the OCPP nodes.
  // Returns the charge point ids queued. REQUIRES: hold(lock_id, true) in
  // the same transaction (a pile's boot arms it alone meanwhile).
  virtual std::vector<std::string> queue_lock_vehicle(const LockDelivery& delivery) = 0;
  // UnlockVehicle in one statement to every listed pile whose row is
  // pending or armed and has no UnlockVehicle: queued and recorded on the
  // row (its retry cleared), the rows locked in charge point order first
  // (as change_piles does); one NOTIFY. Returns the charge point ids.
  virtual std::vector<std::string> queue_unlock_vehicle(const LockDelivery& delivery) = 0;
  // Applies the changes whose rows are still as expected (see
  // LockPileChange), in one statement; returns the charge point ids changed.
  virtual std::vector<std::string> change_piles(const std::string& lock_id,
                                                const std::vector<LockPileChange>& changes) = 0;
  // Ordered by charge point id, with the LockVehicle command's outcome.
  virtual std::vector<LockPile> piles(const std::string& lock_id) = 0;
  // The rows of these charge points (those that exist).
  virtual std::vector<LockPile> piles_of(const std::string& lock_id,
                                         const std::vector<std::string>& charge_point_ids) = 0;
  // Piles of any lock whose failed delivery is due again (retry_at passed).
  virtual std::vector<LockPile> piles_due(Timestamp now) = 0;
  // A page of them: charge point ids after `after`, of one status if given.
  virtual std::vector<LockPile> piles_page(const std::string& lock_id,
                                           const std::optional<PileStatus>& status,
                                           const std::string& after, int limit) = 0;
  virtual std::optional<LockPile> pile(const std::string& lock_id,
                                       const std::string& charge_point_id) = 0;
  // How many of the lock's piles are in each status (one aggregate query:
  // an owner polls this while thousands of piles answer).
  virtual std::vector<LockPileCount> pile_counts(const std::string& lock_id) = 0;

  virtual std::vector<LockTransition> transitions(const std::string& lock_id) = 0;  // by id

  // What an extension pile declared (Capabilities): hashed matching.
  virtual void set_hashed_matching(const std::string& charge_point_id, bool supported) = 0;
  // The piles that declared hashed matching, among all.
  virtual std::vector<std::string> hashed_matching_piles() = 0;
  virtual bool hashed_matching(const std::string& charge_point_id) = 0;

  // Records a sighting (with the pile's location now).
  virtual Sighting add_sighting(const NewSighting& sighting) = 0;
  virtual std::vector<Sighting> sightings(const std::string& lock_id) = 0;  // oldest first
};

}  // namespace chargelock::core
