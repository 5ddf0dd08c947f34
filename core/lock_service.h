// The vehicle lock (SPEC §4): lock authorizations, their state machine and
// the org.chargelock DataTransfer extension.
//
//   requested → armed      LockVehicle queued for every pile in scope
//   armed     → engaged    VehicleLocked from a pile (held at pile/connector),
//                          or an Authorize/StartTransaction with the vehicle's
//                          id tag answered Blocked (engaged without hold)
//   engaged   → released   the owner released: UnlockVehicle to the armed
//                          piles, UnlockConnector to the holding connector;
//                          released once that answers Unlocked (otherwise the
//                          lock stays engaged with release_error)
//   requested/armed → cancelled   the owner withdrew before a catch
//
// Every change is recorded in the audit trail (transitions()). The piles'
// states derive from their LockVehicle commands: Accepted → armed;
// UnknownVendorId / UnknownMessageId / Rejected (or a CALLERROR
// NotImplemented / NotSupported) → unsupported, where the central system
// enforces the lock itself (Blocked); otherwise pending. Command outcomes
// are folded in by reconcile(): on every read, at boots, and from
// command_finished() when the command queue reports an answered command.
//
// LockService is also the extension points' implementation: the
// org.chargelock VendorExtension, the AuthorizationPolicy (Blocked for a
// locked vehicle's tags), the CommandGuard (no operator unlock of a held
// vehicle) and the BootObserver (piles that boot are armed).
//
// Threading: every member may be called from any worker thread; blocks on
// the database. State lives in the database only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/authorization_service.h"
#include "core/charge_point_service.h"
#include "core/command_guard.h"
#include "core/command_service.h"
#include "core/data_transfer_service.h"
#include "core/domain_errors.h"
#include "core/group_commit.h"
#include "core/notification_service.h"
#include "storage/lock_store.h"
#include "storage/transaction_store.h"
#include "storage/vehicle_store.h"

namespace chargelock::core {

using LockRecord = storage::LockRecord;
using LockPile = storage::LockPileRecord;
using LockTransition = storage::LockTransitionRecord;

namespace lock_status {
inline constexpr const char* kRequested = "requested";
inline constexpr const char* kArmed = "armed";
inline constexpr const char* kEngaged = "engaged";
inline constexpr const char* kReleased = "released";
inline constexpr const char* kCancelled = "cancelled";
}  // namespace lock_status

namespace pile_status {
inline constexpr const char* kPending = "pending";
inline constexpr const char* kArmed = "armed";
inline constexpr const char* kUnsupported = "unsupported";
inline constexpr const char* kDisarmed = "disarmed";
}  // namespace pile_status

// Scope of a lock: every pile (no radius), or the piles within radius_km of
// `center` (default: the vehicle's last known position).
struct LockScope {
  std::optional<double> radius_km;
  std::optional<GeoLocation> center;
};

struct LockRequest {
  std::int64_t owner_id = 0;
  std::string vin;
  LockScope scope;
};

struct LockPileCounts {
  int armed = 0;
  int unsupported = 0;
  int pending = 0;
  int disarmed = 0;
};

struct LockView {
  LockRecord lock;
  LockPileCounts piles;
};

// Great-circle distance in km (haversine).
double distance_km(const GeoLocation& a, const GeoLocation& b);

class LockService final : public VendorExtension,
                          public AuthorizationPolicy,
                          public CommandGuard,
                          public CommandObserver,
                          public BootObserver {
 public:
  LockService(storage::LockStore& locks, storage::VehicleStore& vehicles,
              storage::ChargePointStore& charge_points, storage::TransactionStore& transactions,
              CommandService& commands, NotificationService& notifications,
              GroupCommit* group_commit = nullptr);

  // ---- owner side

  // Creates the vehicle's lock and queues LockVehicle for every pile in
  // scope; returns the existing one when the vehicle already has an active
  // lock (`created` = false). Throws NotFoundError (unknown VIN),
  // ForbiddenError (another owner's vehicle), std::invalid_argument (bad
  // radius, or a radius without a center and no known vehicle position).
  LockView request_lock(const LockRequest& request, bool* created = nullptr);
  // Any lock (reconciled first).
  std::optional<LockView> find(const std::string& lock_id);
  // The owner's lock: NotFoundError when unknown or another owner's.
  LockView get(std::int64_t owner_id, const std::string& lock_id);
  std::vector<LockView> list(std::int64_t owner_id);  // newest first
  // Release (engaged) or cancel (before a catch); a no-op for a lock that
  // already ended. NotFoundError when unknown or another owner's.
  LockView release(std::int64_t owner_id, const std::string& lock_id);
  // Cancel before a catch. ConflictError when the vehicle is already held.
  LockView cancel(std::int64_t owner_id, const std::string& lock_id);
  std::vector<LockTransition> transitions(const std::string& lock_id);
  std::vector<LockPile> piles(const std::string& lock_id);

  // Folds command outcomes into the lock (pile states, release).
  void reconcile(const std::string& lock_id);
  // Every active lock; returns how many were looked at.
  int reconcile_active();
  // The command queue answered/ended a command: reconciles its lock when
  // the command's origin is "lock:<lockId>". Never throws.
  void command_finished(const CommandRecord& command) override;

  // ---- extension points

  // org.chargelock: VehicleLocked → Accepted and engaged, or Rejected for
  // an unknown or ended lock or bad data; UnknownMessageId otherwise.
  DataTransferResult handle(const std::string& charge_point_id,
                            const DataTransferRequest& request) override;
  // Blocked for an id tag (or EVCC id) of a vehicle with an active lock;
  // the first such catch engages the lock without hold. Nothing for
  // StopTransaction (check_concurrent false) and unlocked tags.
  std::optional<AuthorizationStatus> check(const AuthorizationContext& context,
                                           const std::string& id_tag) override;
  // Refuses UnlockConnector / RemoteStopTransaction / Reset aimed at a pile
  // (connector) holding an engaged lock, unless the lock itself sends it.
  std::optional<std::string> refuse(const CommandRequest& request) override;
  // An Accepted boot: LockVehicle for every active lock whose scope holds
  // the pile (unless already queued, or the pile is unsupported). Never
  // throws.
  void booted(const std::string& charge_point_id, RegistrationStatus status) override;

 private:
  LockView view(const LockRecord& lock);
  LockRecord owned(std::int64_t owner_id, const std::string& lock_id);
  bool in_scope(const LockRecord& lock, const ChargePointRecord& charge_point) const;
  void arm(const LockRecord& lock, const storage::VehicleRecord& vehicle,
           const std::string& charge_point_id, std::optional<LockPile> row);
  void dispatch(const LockRecord& lock);
  void disarm(const LockRecord& lock);
  std::optional<CommandRecord> enqueue(const LockRecord& lock, const std::string& charge_point_id,
                                       const std::string& action, const std::string& payload);
  LockView cancel_unheld(const LockRecord& lock, const std::string& cause);
  void notify(const LockRecord& lock, const char* kind, const std::string& body);
  void notify_state(const LockRecord& lock, const std::string& detail);
  void notify_caught(const LockRecord& lock);
  DataTransferResult vehicle_locked(const std::string& charge_point_id, const std::string& data);

  // Re-derives one pile's state from its LockVehicle command's outcome.
  void reconcile_pile(LockPile pile);
  // Ends an engaged lock whose UnlockConnector was answered (or records why not).
  void reconcile_release(const LockRecord& lock);
  // Whether `value` (an "idTag", "evccId" or "vin") belongs to vehicle `vin`.
  bool identifies_vehicle(const std::string& vin, const std::string& kind,
                          const std::string& value);

  storage::LockStore& locks_;
  storage::VehicleStore& vehicles_;
  storage::ChargePointStore& charge_points_;
  storage::TransactionStore& transactions_;
  CommandService& commands_;
  NotificationService& notifications_;
  // Fan-outs (LockVehicle / UnlockVehicle to every pile) write in one commit.
  GroupCommit* group_commit_;
};

}  // namespace chargelock::core
