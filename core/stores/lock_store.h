// The store of vehicle locks (SPEC §4): the lock authorizations, the piles
// each was sent to, and the audit trail of every state change (the records
// are in core/lock.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/charge_point.h"
#include "core/command.h"
#include "core/lock.h"
#include "core/lock_delivery.h"
#include "core/timestamp.h"

namespace chargelock::core {

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
  // queued (hashed_payload_json for piles that declared hashed matching),
  // or claimed (see LockDelivery::claiming_node), and the row written
  // pending with it; one NOTIFY wakes the OCPP nodes for the queued ones.
  // REQUIRES: hold(lock_id, true) in the same transaction (a pile's boot
  // arms it alone meanwhile).
  virtual LockDeliveryResult queue_lock_vehicle(const LockDelivery& delivery) = 0;
  // UnlockVehicle in one statement to every listed pile whose row is
  // pending or armed and has no UnlockVehicle: queued (or claimed, as
  // above) and recorded on the row (its retry cleared), the rows locked in
  // charge point order first (as change_piles does); one NOTIFY.
  virtual LockDeliveryResult queue_unlock_vehicle(const LockDelivery& delivery) = 0;
  // Applies the changes whose rows are still as expected (see
  // LockPileChange), in one statement; returns the charge point ids changed.
  virtual std::vector<std::string> change_piles(const std::string& lock_id,
                                                const std::vector<LockPileChange>& changes) = 0;
  // Ordered by charge point id, with the LockVehicle command's outcome.
  virtual std::vector<LockPile> piles(const std::string& lock_id) = 0;
  // Ordered by charge point id: the piles whose commands' outcomes may call
  // for a step (lock_rules::next_step), a superset of those it acts on. The
  // rows waiting for an answer in flight and the piles armed by their
  // LockVehicle's Accepted are left out: a sweep of a 40,000-pile lock reads
  // the few that need something, not every row every few seconds.
  virtual std::vector<LockPile> piles_unsettled(const std::string& lock_id) = 0;
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
  // The counts are kept as deltas, one per lock, status and write (migration
  // 0019): folds each lock's many into one per status, so a read sums a few.
  // Returns how many rows the folded locks have now.
  virtual int compact_pile_counts() = 0;

  virtual std::vector<LockTransition> transitions(const std::string& lock_id) = 0;  // by id
  // The lock with its pile counts, trail and sightings, in one statement
  // (an owner polls it while thousands of piles answer, and under a flood
  // every round trip waits for a core): by id, or the vehicle's active lock.
  virtual std::optional<LockSummary> summary(const std::string& lock_id) = 0;
  virtual std::optional<LockSummary> active_summary_for_vehicle(const std::string& vin) = 0;

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
