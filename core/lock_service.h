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
//   any active      → expired     expires_at passed (default 30 days)
//
// Only the verified owner of a vehicle can lock it (VehicleService). A
// vehicle already charging when the lock is requested is engaged at once
// from its open transaction; its pile gets LockVehicle first, and a pile
// without the extension has the transaction stopped (RemoteStopTransaction,
// from the sweep, once per transaction). Every catch and every Blocked
// attempt is a sighting (evidence kept with the lock); operators get every
// catch and sighting in their inbox (owner id 0) and may release a lock
// with a recorded reason.
//
// Every change is recorded in the audit trail (transitions()). The piles'
// states derive from their LockVehicle commands: Accepted → armed;
// UnknownVendorId / UnknownMessageId / Rejected (or a CALLERROR
// NotImplemented / NotSupported) → unsupported, where the central system
// enforces the lock itself (Blocked); otherwise pending. Command outcomes
// are folded in by command_finished() when the command queue reports an
// answered command, and by the dispatcher's sweep (sweep(), every few
// seconds on each OCPP node), which also re-arms piles whose LockVehicle
// timed out or expired: while a lock is active its arming never lapses.
//
// LockService is also the extension points' implementation: the
// org.chargelock VendorExtension, the AuthorizationPolicy (Blocked for a
// locked vehicle's tags), the CommandGuard (no operator unlock of a held
// vehicle) and the BootObserver (piles that boot are armed).
//
// Threading: every member may be called from any worker thread; blocks on
// the database. State lives in the database only.
//
// The implementation is split by responsibility: lock_service.cpp (the
// state machine), lock_fanout.cpp (arming and disarming the piles, their
// answers, the sweep's re-arming), lock_extension.cpp (the extension
// points), lock_notifications.cpp (what owners and operators are told) and
// lock_rules.h (the rules they share, e.g. next_step()).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "core/authorization_service.h"
#include "core/charge_point_service.h"
#include "core/claimed_command_sink.h"
#include "core/command_guard.h"
#include "core/command_service.h"
#include "core/data_transfer_service.h"
#include "core/domain_errors.h"
#include "core/lock_delivery.h"
#include "core/notification_service.h"
#include "core/stores/lock_store.h"
#include "core/stores/transaction_store.h"
#include "core/stores/vehicle_store.h"
#include "core/time_source.h"
#include "core/write_batch.h"

namespace chargelock::core {

// Where sightings come from (vehicle_lock_sightings.source).
namespace sighting_source {
inline constexpr const char* kVehicleLocked = "VehicleLocked";
inline constexpr const char* kAuthorize = "Authorize";
inline constexpr const char* kStartTransaction = "StartTransaction";
inline constexpr const char* kTransaction = "Transaction";
}  // namespace sighting_source

// The operators' inbox: notifications for the network operations centre
// use the owners' machinery (list, stream, webhook) under this owner id.
inline constexpr std::int64_t kOperatorsInbox = 0;

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
  std::optional<Timestamp> expires_at{};  // default: 30 days from now
  std::optional<std::string> case_reference{};
};

// A change to an active lock by its owner (owner_id) or an operator (none).
struct LockChange {
  std::optional<std::int64_t> owner_id;
  std::optional<Timestamp> expires_at;  // renew
  std::optional<std::string> case_reference{};
};

struct LockLimits {
  int requests_per_vehicle_per_hour = 6;
  std::chrono::hours default_lifetime{30 * 24};
  std::chrono::hours max_lifetime{365 * 24};
  std::chrono::hours expiry_warning{24};
  // A fan-out's piles per statement and commit (when not in a shared
  // batch): the dispatcher claims and sends a chunk's commands while the
  // next chunk is written. At 10,000 piles one statement for all took
  // ~220 ms with nothing sent meanwhile.
  std::size_t fan_out_chunk = 1000;
};

// What the piles told the central system (never what it merely queued):
// armed = answered Accepted to LockVehicle (and, after the release, not yet
// Accepted to UnlockVehicle); disarmed = answered UnlockVehicle; pending =
// no definitive answer yet; pending_offline = after the release, armed or
// pending piles that are offline now: they get UnlockVehicle when they
// reconnect. release_complete: the lock ended and no online pile is armed
// or pending.
struct LockPileCounts {
  int armed = 0;
  int unsupported = 0;
  int pending = 0;
  int disarmed = 0;
  int pending_offline = 0;
  bool release_complete = false;
};

struct LockView {
  LockRecord lock;
  LockPileCounts piles;
};

// A lock as GET /locks/{id} shows it: the view, its trail and its sightings
// (read together: LockStore::summary()).
struct LockDetails {
  LockView view;
  std::vector<LockTransition> transitions;  // by id
  std::vector<Sighting> sightings;          // oldest first
};

// Great-circle distance in km (haversine).
double distance_km(const GeoLocation& a, const GeoLocation& b);

class LockService final : public VendorExtension,
                          public AuthorizationPolicy,
                          public CommandGuard,
                          public CommandObserver,
                          public BootObserver {
 public:
  LockService(LockStore& locks, VehicleStore& vehicles, ChargePointStore& charge_points,
              TransactionStore& transactions, CommandService& commands,
              NotificationService& notifications, Stores* batches = nullptr, LockLimits limits = {},
              const TimeSource& time = system_time());

  // ---- owner side

  // Creates the vehicle's lock and queues LockVehicle for every pile in
  // scope; returns the existing one when the vehicle already has an active
  // lock (`created` = false). A vehicle with an open transaction is engaged
  // there at once. Throws NotFoundError (unknown VIN), ForbiddenError
  // (another owner's vehicle, or not verified yet), LimitError (too many
  // requests for the vehicle this hour), std::invalid_argument (bad radius
  // or expiry, or a radius without a center and no known vehicle position).
  LockView request_lock(const LockRequest& request, bool* created = nullptr);
  // The same, answered with the lock's trail and sightings. A repeated
  // request (the vehicle's lock is active and dispatched) costs two reads:
  // the vehicle's registration and the lock's summary.
  LockDetails request_lock_details(const LockRequest& request, bool* created = nullptr);
  // Any lock, as recorded: command outcomes are folded in when the queue
  // reports them (commands_finished) and by sweep(), never on a read.
  std::optional<LockView> find(const std::string& lock_id);
  // The owner's lock: NotFoundError when unknown or another owner's.
  LockView get(std::int64_t owner_id, const std::string& lock_id);
  // find() and get() with the trail and sightings, in one read.
  std::optional<LockDetails> find_details(const std::string& lock_id);
  LockDetails details(std::int64_t owner_id, const std::string& lock_id);
  std::vector<LockView> list(std::int64_t owner_id);  // newest first
  // Every lock (operators), newest first.
  std::vector<LockView> list_all(const LockFilter& filter);
  // Release (engaged) or cancel (before a catch); a no-op for a lock that
  // already ended. NotFoundError when unknown or another owner's.
  LockView release(std::int64_t owner_id, const std::string& lock_id);
  // An operator's emergency release (or cancel): `reason` is required
  // (std::invalid_argument) and recorded in the trail; the owner is told.
  // NotFoundError for an unknown lock.
  LockView release_by_operator(const std::string& lock_id, const std::string& operator_name,
                               const std::string& reason);
  // Cancel before a catch. ConflictError when the vehicle is already held.
  LockView cancel(std::int64_t owner_id, const std::string& lock_id);
  // Renews (expiresAt) or sets the police case reference of an active lock;
  // recorded in the trail. NotFoundError (unknown, another owner's),
  // ConflictError (the lock ended), std::invalid_argument (bad values).
  LockView change(const std::string& lock_id, const LockChange& change);
  std::vector<Sighting> sightings(const std::string& lock_id);
  std::vector<LockTransition> transitions(const std::string& lock_id);
  std::vector<LockPile> piles(const std::string& lock_id);
  // A page of the lock's piles (a lock spans thousands): charge point ids
  // after `after`, of one pile status if given; limit 1..1000.
  std::vector<LockPile> piles_page(const std::string& lock_id,
                                   const std::optional<std::string>& status,
                                   const std::string& after, int limit);

  // Folds command outcomes into the lock (pile states, release).
  void reconcile(const std::string& lock_id);
  void reconcile(const LockRecord& lock);  // `lock` as just read
  // Every active lock: reconciles, re-arms piles whose LockVehicle lapsed,
  // stops transactions a standard pile kept charging after a Blocked start
  // or that were open when the lock came, warns owners 24 h before expiry
  // and expires locks. Returns how many active locks were looked at.
  int sweep();
  // The command queue answered/ended a command: reconciles its lock when
  // the command's origin is "lock:<lockId>". Never throws.
  void command_finished(WriteBatch& batch, const CommandRecord& command) override;
  // Many outcomes at once (a fan-out's answers): per lock, one read of the
  // lock and of the piles concerned and one write of their new states.
  void commands_finished(WriteBatch& batch, const std::vector<CommandRecord>& commands) override;

  // ---- extension points

  // This process's OCPP node: a fan-out claims the commands of its idle,
  // registered piles in its own statement and hands them to `sink` after
  // the commit (nullptr: none, every command is queued). Any thread; the
  // sink must outlive its registration (set nullptr before it goes).
  void set_claimed_command_sink(ClaimedCommandSink* sink) {
    claimed_sink_.store(sink, std::memory_order_release);
  }

  // org.chargelock: VehicleLocked → Accepted (a sighting; engaged), or
  // Rejected for an unknown or ended lock or bad data; Capabilities →
  // Accepted (hashed matching recorded); UnknownMessageId otherwise.
  // Grouped `batch`: written in it (the DataTransfer's record shares the
  // commit); alone: VehicleLocked in a batch of its own, as vehicle_locked().
  DataTransferResult handle(WriteBatch& batch, const std::string& charge_point_id,
                            const DataTransferRequest& request) override;
  // Blocked for an id tag (or EVCC id) of a vehicle with an active lock;
  // the first such catch engages the lock without hold. Nothing for
  // StopTransaction (check_concurrent false) and unlocked tags.
  std::optional<AuthorizationStatus> check(const AuthorizationContext& context,
                                           const std::string& id_tag) override;
  // Refuses every command that could undo a hold (UnlockConnector,
  // RemoteStopTransaction, Reset, ChangeAvailability, UpdateFirmware,
  // SignedUpdateFirmware, the extension's UnlockVehicle as a raw
  // DataTransfer) aimed at a pile (connector) holding a locked vehicle,
  // unless the lock itself sends it. A catch without a hold freezes nothing.
  std::optional<std::string> refuse(const CommandRequest& request) override;
  // An Accepted boot: LockVehicle for every active lock whose scope holds
  // the pile (unless already queued, or the pile is unsupported), queued
  // just before the batch commits, with the other piles of its group (see
  // WriteBatch::before_commit). Never throws.
  void booted(WriteBatch& batch, const std::string& charge_point_id,
              RegistrationStatus status) override;
  // A pile (re)connected, maybe without a boot: LockVehicle for every active
  // lock in scope it was never sent, or whose delivery lapsed; as booted(),
  // with its group. Never throws.
  void connected(WriteBatch& batch, const std::string& charge_point_id) override;

 private:
  // Active locks for a pile's connect or boot. A storm of thousands of
  // piles asked PostgreSQL once per pile (twice with the boot) while no
  // lock was active, inside the connect records' group commits: an empty
  // answer is reused for kNoActiveLockReuse. Safe: a lock created meanwhile
  // queues LockVehicle for every pile in its scope itself, delivered when
  // the pile is connected; this lookup only re-arms lapsed deliveries.
  std::vector<LockRecord> active_locks(WriteBatch& batch);
  static constexpr std::chrono::milliseconds kNoActiveLockReuse{1000};
  LockView view(const LockRecord& lock);
  static LockView view_of(const LockRecord& lock, const std::vector<LockPileCount>& counts);
  static LockDetails details_of(LockSummary summary);
  LockRecord owned(std::int64_t owner_id, const std::string& lock_id);
  bool in_scope(const LockRecord& lock, const std::optional<GeoLocation>& location) const;
  // LockVehicle to a pile that has no row for the lock yet.
  void arm(WriteBatch& batch, const LockRecord& lock, const Vehicle& vehicle,
           const std::string& charge_point_id);
  void dispatch(WriteBatch& batch, const LockRecord& lock);
  void disarm(WriteBatch& batch, const LockRecord& lock);
  std::optional<CommandRecord> enqueue(WriteBatch& batch, const LockRecord& lock,
                                       const std::string& charge_point_id,
                                       const std::string& action, const std::string& payload);
  LockView cancel_unheld(WriteBatch& batch, const LockRecord& lock, const std::string& cause,
                         LockStatus to = LockStatus::Cancelled);
  LockView release_lock(WriteBatch& batch, const LockRecord& lock, const std::string& who);
  void expire(WriteBatch& batch, const LockRecord& lock);
  void warn_expiry(WriteBatch& batch, const LockRecord& lock);
  // Engages the lock at the vehicle's open transaction, if it has one.
  void engage_from_transactions(WriteBatch& batch, const LockRecord& lock, const Vehicle& vehicle);
  // RemoteStopTransaction (once per transaction) for a standard pile that
  // keeps charging a locked vehicle.
  void stop_charging(WriteBatch& batch, const LockRecord& lock,
                     const std::vector<Sighting>& sightings);
  Sighting record_sighting(WriteBatch& batch, const LockRecord& lock, const NewSighting& sighting);
  void notify(WriteBatch& batch, const LockRecord& lock, const char* kind, const std::string& body);
  void notify_state(WriteBatch& batch, const LockRecord& lock, const std::string& detail);
  void notify_caught(WriteBatch& batch, const LockRecord& lock, const Sighting& sighting);
  void notify_sighted(WriteBatch& batch, const LockRecord& lock, const Sighting& sighting);
  void notify_operators(WriteBatch& batch, const LockRecord& lock, const char* kind,
                        const Sighting& sighting);
  // SendLocalList (the vehicle's cards Blocked, or removed when the lock
  // ends) and ClearCache for a standard pile. Never throws.
  void update_local_authorization(WriteBatch& batch, const LockRecord& lock,
                                  const std::string& charge_point_id, bool block);
  // LockVehicle for one pile: hashed identifiers for a pile that declared
  // hashed matching, clear ones otherwise.
  std::string lock_vehicle_payload(const LockRecord& lock, const Vehicle& vehicle,
                                   bool hashed) const;
  // The lock owner's registration of the vehicle (its identifiers).
  std::optional<Vehicle> vehicle_of(WriteBatch& batch, const LockRecord& lock);
  // Arms the piles for every active lock in scope that they lack (or whose
  // LockVehicle lapsed; at a boot, every one: the boot may have wiped what
  // the pile was told). Grouped, in a few statements per lock for all the
  // piles, and a failure throws (the group runs again task by task); alone,
  // never throws.
  void resync(WriteBatch& batch, const std::vector<std::string>& charge_point_ids, bool at_boot);
  // resync() for one lock: one read of the piles' rows, then rearm() (a few
  // statements for all of them) and arm() for piles without a row. Throws.
  void resync(WriteBatch& batch, const LockRecord& lock,
              const std::vector<ChargePointRecord>& charge_points, bool at_boot);
  // A pile's VehicleLocked report, its reads and writes in one transaction
  // (a dozen statements: under a flood every extra BEGIN/COMMIT round trip
  // waits for the CPU, and the owner's notification waits for all of them).
  DataTransferResult vehicle_locked(const std::string& charge_point_id, const std::string& data);
  DataTransferResult vehicle_locked(WriteBatch& batch, const std::string& charge_point_id,
                                    const std::string& data);

  // The lock owner's registration of the vehicle, read on first use: most
  // reconciles (a pile's answer during a fan-out) never need it.
  struct LazyVehicle {
    bool loaded = false;
    std::optional<Vehicle> value;
  };
  // Applies what the piles' commands' outcomes call for (next_step() in
  // lock_rules.h): new states, re-sent LockVehicle / UnlockVehicle,
  // back-offs. Each change applies only to a row still as read, so two
  // nodes (or a sweep and an answer) never act twice on one outcome.
  void settle(WriteBatch& batch, const LockRecord& lock, const std::vector<LockPile>& piles,
              LazyVehicle& vehicle);
  // LockVehicle again to piles whose delivery lapsed or failed, or that
  // booted; in a shared batch, one INSERT (and one NOTIFY) for all of them.
  void rearm(WriteBatch& batch, const LockRecord& lock, const std::vector<LockPile>& piles,
             LazyVehicle& vehicle);
  // UnlockVehicle to piles (again, or for the first time at the release).
  void send_unlock(WriteBatch& batch, const LockRecord& lock, const std::vector<LockPile>& piles);
  // After `batch` commits, the commands the fan-out statement claimed for
  // `sink`'s node (the sink read once per fan-out, when its claiming_node
  // was set: one that goes meanwhile still gets what was claimed for it,
  // and puts it back in the queue as it stops) go to it.
  void hand_over(WriteBatch& batch, ClaimedCommandSink* sink, const LockDelivery& delivery,
                 const LockDeliveryResult& written);
  // work(chunk) for consecutive chunks of at most limits_.fan_out_chunk piles.
  template <typename Work>
  void for_each_chunk(const std::vector<std::string>& charge_point_ids, const Work& work) const;
  // One LockVehicle / UnlockVehicle (payload, and the hashed one for the
  // piles that declared hashed matching) for many piles, checked once.
  LockDelivery delivery_of(const LockRecord& lock, const std::vector<std::string>& charge_point_ids,
                           const std::string& payload,
                           const std::optional<std::string>& hashed_payload) const;
  // Ends an engaged lock whose UnlockConnector was answered (or records why not).
  void reconcile_release(WriteBatch& batch, const LockRecord& lock);
  // Whether `value` (an "idTag", "evccId" or "vin") names the lock's vehicle.
  // Reads the vehicle's registration from `vehicles` only when the kind asks
  // for its identifiers.
  static bool identifies_vehicle(VehicleStore& vehicles, const LockRecord& lock,
                                 const std::string& kind, const std::string& value);

  // The lock store to use in `batch` (its own transaction's when grouped).
  LockStore& locks(WriteBatch& batch) const { return batch.store(&Stores::locks, locks_); }
  // Runs work(WriteBatch&) in `batch` when that is grouped (a worker's group
  // commit: the lock's writes share it), else in a batch of its own (one
  // commit for a fan-out), written alone when that batch does not commit.
  template <typename Work>
  void within(WriteBatch& batch, const Work& work) {
    if (batch.grouped()) {
      work(batch);
      return;
    }
    const auto own = batches_ != nullptr ? batches_->make_batch() : nullptr;
    run_grouped(own.get(), work);
  }

  LockStore& locks_;
  VehicleStore& vehicles_;
  ChargePointStore& charge_points_;
  TransactionStore& transactions_;
  CommandService& commands_;
  NotificationService& notifications_;
  // Fan-outs (LockVehicle / UnlockVehicle to every pile) write in one commit.
  Stores* batches_;  // makes the batches of run_grouped()
  LockLimits limits_;
  const TimeSource& time_;  // lifetimes, expiry warnings, engagement times

  std::atomic<ClaimedCommandSink*> claimed_sink_{nullptr};

  base::Mutex no_active_mutex_;
  // When list_active() last came back empty; none while locks are active.
  std::optional<std::chrono::steady_clock::time_point> no_active_since_
      GUARDED_BY(no_active_mutex_);
};

}  // namespace chargelock::core
