// The lock state machine: requests, release, cancel, changes, expiry and
// the owners' and operators' views (see lock_service.h).
#include "core/lock_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>

#include "core/core_metrics.h"
#include "core/digest.h"
#include "core/domain_errors.h"
#include "core/lock_codec.h"
#include "core/lock_rules.h"
#include "core/log.h"
#include "core/vehicle_identity.h"
#include "core/vehicle_service.h"

namespace chargelock::core {

using namespace lock_rules;

double distance_km(const GeoLocation& a, const GeoLocation& b) {
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (b.latitude - a.latitude) * kRad;
  const double dlon = (b.longitude - a.longitude) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.latitude * kRad) * std::cos(b.latitude * kRad) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

LockService::LockService(LockStore& locks, VehicleStore& vehicles, ChargePointStore& charge_points,
                         TransactionStore& transactions, CommandService& commands,
                         NotificationService& notifications, Stores* batches, LockLimits limits,
                         const TimeSource& time)
    : locks_(locks),
      vehicles_(vehicles),
      charge_points_(charge_points),
      transactions_(transactions),
      commands_(commands),
      notifications_(notifications),
      batches_(batches),
      limits_(limits),
      time_(time) {}

// ---- owner side

LockView LockService::request_lock(const LockRequest& request, bool* created) {
  return request_lock_details(request, created).view;
}

LockDetails LockService::request_lock_details(const LockRequest& request, bool* created) {
  WriteBatch batch = WriteBatch::alone();  // each write commits on its own
  const std::string vin = VehicleService::normalize_vin(request.vin);
  const auto vehicle =
      batch.store(&Stores::vehicles, vehicles_).find_registration(vin, request.owner_id);
  if (!vehicle) {
    if (batch.store(&Stores::vehicles, vehicles_).known(vin))
      throw ForbiddenError("not your vehicle");
    throw NotFoundError("no vehicle " + vin);
  }
  if (!vehicle->verified)
    throw ForbiddenError("vehicle " + vin +
                         " is not verified as yours yet: an operator or the vehicle's telematics"
                         " platform must confirm it (POST /vehicles/" +
                         vin + "/verify) before it can be locked");

  const auto now = time_.now();
  NewLock lock;
  lock.id = new_lock_id();
  lock.vin = vin;
  lock.owner_id = request.owner_id;
  lock.cause = "requested by the owner";
  lock.expires_at = request.expires_at.value_or(now + limits_.default_lifetime);
  if (lock.expires_at <= now) throw std::invalid_argument("expiresAt: must be in the future");
  if (lock.expires_at > now + limits_.max_lifetime)
    throw std::invalid_argument("expiresAt: at most a year ahead (renew the lock instead)");
  if (request.case_reference) {
    if (request.case_reference->size() > 200)
      throw std::invalid_argument("caseReference: at most 200 characters");
    lock.case_reference = request.case_reference;
  }
  if (request.scope.radius_km) {
    const double r = *request.scope.radius_km;
    if (!std::isfinite(r) || r <= 0 || r > kMaxRadiusKm)
      throw std::invalid_argument(
          fmt::format("scope.radiusKm: must be above 0 and at most {}", kMaxRadiusKm));
    if (request.scope.center) {
      const auto& c = *request.scope.center;
      if (!std::isfinite(c.latitude) || std::abs(c.latitude) > 90 || !std::isfinite(c.longitude) ||
          std::abs(c.longitude) > 180)
        throw std::invalid_argument("scope.center: lat -90..90, lon -180..180");
      lock.center = c;
    } else if (vehicle->state && vehicle->state->location) {
      lock.center = vehicle->state->location;
    } else {
      throw std::invalid_argument(
          "scope: the vehicle's position is unknown; give a center for the radius");
    }
    lock.radius_km = r;
    lock.cause += fmt::format(" (piles within {} km of {:.5f},{:.5f})", r, lock.center->latitude,
                              lock.center->longitude);
  } else if (request.scope.center) {
    throw std::invalid_argument("scope.center: needs radiusKm");
  }

  // A repeated request for the active lock is answered with it and costs
  // nothing (one read; create() below would find it too, in a transaction
  // of four round trips). One left "requested" (a crash before its
  // dispatch) goes on below to be dispatched.
  if (auto existing = locks(batch).active_summary_for_vehicle(vin)) {
    if (existing->lock.status != LockStatus::Requested) {
      if (created) *created = false;
      return details_of(std::move(*existing));
    }
  } else if (locks(batch).requested_since(vin, now - std::chrono::hours(1)) >=
             limits_.requests_per_vehicle_per_hour) {
    // One owner cannot flood the network with lock/release cycles.
    throw LimitError(fmt::format("at most {} lock requests per vehicle per hour",
                                 limits_.requests_per_vehicle_per_hour));
  }

  LockStore::Created stored;
  try {
    stored = locks(batch).create(lock);
    {
      base::MutexLock guard(no_active_mutex_);
      no_active_since_.reset();
    }
  } catch (const RowNotFoundError&) {
    throw NotFoundError("no vehicle " + vin);
  }
  if (created) *created = stored.created;
  if (stored.created) engage_from_transactions(batch, stored.lock, *vehicle);
  // A lock left "requested" (a crash before its dispatch) is dispatched now.
  if (const auto current = locks(batch).find(stored.lock.id);
      current && (current->status == LockStatus::Requested ||
                  (current->status == LockStatus::Engaged && stored.created)))
    dispatch(batch, *current);
  return *find_details(stored.lock.id);
}

std::optional<LockView> LockService::find(const std::string& lock_id) {
  // No reconcile here: outcomes reach the lock as they are recorded
  // (command_finished) and the dispatcher's sweep catches the rest, so a
  // read stays cheap however many piles the lock spans.
  const auto lock = locks_.find(lock_id);
  if (!lock) return std::nullopt;
  return view(*lock);
}

LockView LockService::get(std::int64_t owner_id, const std::string& lock_id) {
  return view(owned(owner_id, lock_id));  // the row owned() read: one query less
}

std::optional<LockDetails> LockService::find_details(const std::string& lock_id) {
  auto summary = locks_.summary(lock_id);
  if (!summary) return std::nullopt;
  return details_of(std::move(*summary));
}

LockDetails LockService::details(std::int64_t owner_id, const std::string& lock_id) {
  auto found = find_details(lock_id);
  // Another owner's lock is as unknown as a missing one (ids are random).
  if (!found || found->view.lock.owner_id != owner_id) throw NotFoundError("no lock " + lock_id);
  return std::move(*found);
}

std::vector<LockView> LockService::list(std::int64_t owner_id) {
  std::vector<LockView> out;
  for (const LockRecord& lock : locks_.list_for_owner(owner_id)) {
    out.push_back(view(lock));
  }
  return out;
}

std::vector<LockView> LockService::list_all(const LockFilter& filter) {
  std::vector<LockView> out;
  for (const LockRecord& lock : locks_.list(filter)) out.push_back(view(lock));
  return out;
}

LockView LockService::release(std::int64_t owner_id, const std::string& lock_id) {
  WriteBatch batch = WriteBatch::alone();  // each write commits on its own
  // The lock read before the reconcile feeds it; read again after it, which
  // may have changed the lock (each read is one round trip).
  reconcile(owned(owner_id, lock_id));
  return release_lock(batch, owned(owner_id, lock_id), "the owner");
}

LockView LockService::release_by_operator(const std::string& lock_id,
                                          const std::string& operator_name,
                                          const std::string& reason) {
  WriteBatch batch = WriteBatch::alone();  // each write commits on its own
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos)
    throw std::invalid_argument("reason: an operator release must say why");
  if (reason.size() > 1000) throw std::invalid_argument("reason: at most 1000 characters");
  auto lock = locks(batch).find(lock_id);
  if (!lock) throw NotFoundError("no lock " + lock_id);
  reconcile(*lock);
  lock = locks(batch).find(lock_id);
  if (!lock) throw NotFoundError("no lock " + lock_id);
  if (!active(*lock)) return view(*lock);
  const std::string who = fmt::format("operator {} (reason: {})", operator_name, reason);
  LockView released = release_lock(batch, *lock, who);
  notify(batch, released.lock, notification_kind::kLockState,
         lock_codec::ObjectWriter()
             .add("lockId", lock->id)
             .add("vin", lock->vin)
             .add("status", to_string(released.lock.status))
             .add("cause", "released by " + who)
             .add("releasedBy", "operator")
             .add("reason", reason)
             .str());
  return released;
}

LockView LockService::release_lock(WriteBatch& batch, const LockRecord& lock,
                                   const std::string& who) {
  if (!active(lock)) return view(lock);
  if (lock.status != LockStatus::Engaged)
    return cancel_unheld(batch, lock, "released by " + who + " before a catch");

  if (lock.release_command_id && !lock.release_error) {
    const auto command = commands_.find(*lock.release_command_id);
    if (command &&
        (command->status == CommandStatus::Queued || command->status == CommandStatus::Sent))
      return view(lock);  // a release is under way
  }
  disarm(batch, lock);
  if (lock.engaged_without_hold || !lock.charge_point_id || !lock.connector_id) {
    LockUpdate update;
    update.lock_id = lock.id;
    update.from = {LockStatus::Engaged};
    update.to = LockStatus::Released;
    update.cause = "released by " + who + " (no pile held the vehicle)";
    update.clear_release_error = true;
    if (auto released = locks(batch).update(update)) {
      notify_state(batch, *released, update.cause);
      return view(*released);
    }
    return *find(lock.id);
  }
  const auto command = enqueue(batch, lock, *lock.charge_point_id, "UnlockConnector",
                               lock_codec::unlock_connector_payload(*lock.connector_id));
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {LockStatus::Engaged};
  update.to = LockStatus::Engaged;
  if (command) {
    update.release_command_id = command->id;
    update.clear_release_error = true;
    update.cause = fmt::format("release requested by {}: UnlockConnector to {} (command {})", who,
                               where(*lock.charge_point_id, lock.connector_id), command->id);
  } else {
    update.release_error = "UnlockConnector could not be queued";
    update.cause = "release requested by " + who + ": UnlockConnector could not be queued";
  }
  if (auto updated = locks(batch).update(update)) return view(*updated);
  return *find(lock.id);
}

LockView LockService::cancel(std::int64_t owner_id, const std::string& lock_id) {
  WriteBatch batch = WriteBatch::alone();  // each write commits on its own
  LockRecord lock = owned(owner_id, lock_id);
  if (!active(lock)) return view(lock);
  if (lock.status == LockStatus::Engaged)
    throw ConflictError("the vehicle is held; release the lock instead");
  return cancel_unheld(batch, lock, "cancelled by the owner");
}

LockView LockService::change(const std::string& lock_id, const LockChange& change) {
  const LockRecord lock = change.owner_id ? owned(*change.owner_id, lock_id) : [&] {
    auto found = locks_.find(lock_id);
    if (!found) throw NotFoundError("no lock " + lock_id);
    return *found;
  }();
  if (!active(lock)) throw ConflictError("lock " + lock_id + " is " + to_string(lock.status));
  const char* who = change.owner_id ? "the owner" : "an operator";
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {LockStatus::Requested, LockStatus::Armed, LockStatus::Engaged};
  update.to = lock.status;
  std::vector<std::string> causes;
  if (change.expires_at) {
    const auto now = time_.now();
    if (*change.expires_at <= now) throw std::invalid_argument("expiresAt: must be in the future");
    if (*change.expires_at > now + limits_.max_lifetime)
      throw std::invalid_argument("expiresAt: at most a year ahead");
    update.expires_at = change.expires_at;
    causes.push_back(
        fmt::format("expiry set to {} by {}", format_rfc3339(*change.expires_at), who));
  }
  if (change.case_reference) {
    if (change.case_reference->empty() || change.case_reference->size() > 200)
      throw std::invalid_argument("caseReference: 1 to 200 characters");
    update.case_reference = change.case_reference;
    causes.push_back(
        fmt::format("police case reference {} set by {}", *change.case_reference, who));
  }
  if (causes.empty())
    throw std::invalid_argument("nothing to change: give expiresAt or caseReference");
  update.cause = causes.front();
  if (causes.size() > 1) update.cause += "; " + causes.back();
  const auto updated = locks_.update(update);
  if (!updated) throw ConflictError("lock " + lock_id + " ended meanwhile");
  return view(*updated);
}

std::vector<Sighting> LockService::sightings(const std::string& lock_id) {
  return locks_.sightings(lock_id);
}

LockView LockService::cancel_unheld(WriteBatch& batch, const LockRecord& lock,
                                    const std::string& cause, LockStatus to) {
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {LockStatus::Requested, LockStatus::Armed};
  update.to = to;
  update.cause = cause;
  auto cancelled = locks(batch).update(update);
  if (!cancelled) throw ConflictError("the vehicle was caught meanwhile; release the lock instead");
  disarm(batch, *cancelled);
  notify_state(batch, *cancelled, cause);
  return *find(lock.id);
}

std::vector<LockTransition> LockService::transitions(const std::string& lock_id) {
  return locks_.transitions(lock_id);
}

std::vector<LockPile> LockService::piles(const std::string& lock_id) {
  return locks_.piles(lock_id);
}

std::vector<LockPile> LockService::piles_page(const std::string& lock_id,
                                              const std::optional<std::string>& status,
                                              const std::string& after, int limit) {
  if (limit < 1 || limit > 1000) throw std::invalid_argument("limit: 1 to 1000");
  std::optional<PileStatus> of_status;
  if (status) {
    of_status = pile_status_from_string(*status);
    if (!of_status) throw std::invalid_argument("status: pending, armed, unsupported or disarmed");
  }
  return locks_.piles_page(lock_id, of_status, after, limit);
}

// ---- command outcomes

void LockService::reconcile(const std::string& lock_id) {
  const auto lock = locks_.find(lock_id);
  if (lock) reconcile(*lock);
}

void LockService::reconcile(const LockRecord& lock) {
  WriteBatch batch = WriteBatch::alone();  // each write commits on its own
  LazyVehicle vehicle;
  // Only the piles whose outcomes may call for a step: the sweep reconciles
  // every active lock on every node every few seconds.
  settle(batch, lock, locks(batch).piles_unsettled(lock.id), vehicle);
  reconcile_release(batch, lock);
}

void LockService::reconcile_release(WriteBatch& batch, const LockRecord& lock_record) {
  const auto* lock = &lock_record;
  if (lock->status != LockStatus::Engaged || !lock->release_command_id || lock->release_error)
    return;
  const auto command = commands_.find(*lock->release_command_id);
  if (!command) return;
  std::optional<std::string> failure;
  switch (command->status) {
    case CommandStatus::Queued:
    case CommandStatus::Sent:
      return;
    case CommandStatus::Completed: {
      const auto status =
          command->response_json ? lock_codec::status_of(*command->response_json) : std::nullopt;
      if (status == std::optional<std::string>("Unlocked")) break;
      failure = "UnlockConnector answered " + status.value_or("an unreadable answer");
      break;
    }
    default:
      failure = fmt::format(
          "UnlockConnector {}{}{}", to_string(command->status),
          command->error_code ? ": " + *command->error_code : std::string(),
          command->error_description ? " " + *command->error_description : std::string());
  }
  LockUpdate update;
  update.lock_id = lock->id;
  update.from = {LockStatus::Engaged};
  update.at = command->completed_at;
  if (!failure) {
    update.to = LockStatus::Released;
    update.cause = fmt::format("UnlockConnector at {} answered Unlocked",
                               where(*lock->charge_point_id, lock->connector_id));
  } else {
    update.to = LockStatus::Engaged;
    update.release_error = *failure;
    update.cause = "release failed: " + *failure;
  }
  if (auto updated = locks(batch).update(update)) notify_state(batch, *updated, update.cause);
}

int LockService::sweep() {
  WriteBatch batch = WriteBatch::alone();  // each write commits on its own
  const auto now = time_.now();
  try {
    for (const LockRecord& lock : locks(batch).expiring_before(now)) expire(batch, lock);
    for (const LockRecord& lock : locks(batch).expiring_before(now + limits_.expiry_warning))
      if (!lock.expiry_warned_at) warn_expiry(batch, lock);
  } catch (const std::exception& e) {
    log(std::string("expiring locks failed: ") + e.what());
  }
  // Failed deliveries whose back-off ran out, of active and ended locks
  // (an UnlockVehicle after the release is retried as a LockVehicle is).
  try {
    std::map<std::string, std::vector<LockPile>> due;
    for (LockPile& pile : locks(batch).piles_due(now)) due[pile.lock_id].push_back(std::move(pile));
    for (const auto& [lock_id, piles] : due) {
      if (const auto lock = locks(batch).find(lock_id)) {
        LazyVehicle vehicle;
        settle(batch, *lock, piles, vehicle);
      }
    }
  } catch (const std::exception& e) {
    log(std::string("retrying failed deliveries failed: ") + e.what());
  }
  try {
    locks(batch).compact_pile_counts();
  } catch (const std::exception& e) {
    log(std::string("folding the locks' pile counts failed: ") + e.what());
  }
  int n = 0;
  for (const LockRecord& lock : locks(batch).list_active()) {
    try {
      reconcile(lock.id);
      stop_charging(batch, lock, locks(batch).sightings(lock.id));
    } catch (const std::exception& e) {
      log("reconciling " + lock.id + " failed: " + e.what());
    }
    ++n;
  }
  return n;
}

void LockService::expire(WriteBatch& batch, const LockRecord& lock) {
  const std::string cause = fmt::format("expired (expiresAt {})", format_rfc3339(lock.expires_at));
  if (lock.status != LockStatus::Engaged) {
    try {
      cancel_unheld(batch, lock, cause, LockStatus::Expired);
    } catch (const ConflictError&) {
      // Caught meanwhile: the next sweep expires it as engaged.
    }
    return;
  }
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {LockStatus::Engaged};
  update.to = LockStatus::Expired;
  update.cause = cause;
  const auto expired = locks(batch).update(update);
  if (!expired) return;
  disarm(batch, *expired);
  if (held(lock) && lock.connector_id)
    enqueue(batch, *expired, *lock.charge_point_id, "UnlockConnector",
            lock_codec::unlock_connector_payload(*lock.connector_id));
  notify_state(batch, *expired, cause);
}

void LockService::warn_expiry(WriteBatch& batch, const LockRecord& lock) {
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {LockStatus::Requested, LockStatus::Armed, LockStatus::Engaged};
  update.expiry_warned_at = time_.now();
  const auto warned = locks(batch).update(update);
  if (!warned) return;
  notify(batch, *warned, notification_kind::kLockExpiring,
         lock_codec::ObjectWriter()
             .add("lockId", lock.id)
             .add("vin", lock.vin)
             .add("status", to_string(lock.status))
             .add("expiresAt", format_rfc3339(lock.expires_at))
             .add("renewPath", "/api/v1/locks/" + lock.id)
             .str());
}

void LockService::engage_from_transactions(WriteBatch& batch, const LockRecord& lock,
                                           const Vehicle& vehicle) {
  // Autocharge piles send the EVCC id as the id tag, GB/T piles the VIN.
  std::vector<std::pair<const char*, std::string>> names;
  for (const auto& tag : vehicle.id_tags) names.emplace_back("idTag", tag);
  for (const auto& id : vehicle.evcc_ids) names.emplace_back("evccId", id);
  names.emplace_back("vin", vehicle.vin);
  for (const auto& [kind, value] : names) {
    for (const auto& transaction :
         batch.store(&Stores::transactions, transactions_).open_for_id_tag(value)) {
      NewSighting sighting;
      sighting.lock_id = lock.id;
      sighting.charge_point_id = transaction.charge_point_id;
      sighting.connector_id = transaction.connector_id;
      sighting.source = sighting_source::kTransaction;
      sighting.matched_kind = kind;
      sighting.matched_value = value;
      sighting.held = false;
      sighting.transaction_id = transaction.id;
      const Sighting seen = record_sighting(batch, lock, sighting);
      LockUpdate update;
      update.lock_id = lock.id;
      update.from = {LockStatus::Requested, LockStatus::Armed};
      update.to = LockStatus::Engaged;
      update.cause = fmt::format(
          "the vehicle is charging now: transaction {} at {} ({} {}); engaged without hold until "
          "the pile holds it",
          transaction.id, where(transaction.charge_point_id, transaction.connector_id), kind,
          value);
      update.charge_point_id = transaction.charge_point_id;
      update.connector_id = transaction.connector_id;
      update.matched_kind = kind;
      update.matched_value = value;
      update.engaged_without_hold = true;
      update.engaged_at = time_.now();
      if (auto engaged = locks(batch).update(update)) {
        notify_caught(batch, *engaged, seen);
        // That pile gets LockVehicle first (an extension pile holds the
        // connector); the fan-out to the others follows. (arm(batch) commits the
        // command with the pile's row: the pile may answer VehicleLocked at once.)
        arm(batch, *engaged, vehicle, transaction.charge_point_id);
      }
      return;  // a vehicle charges at one place
    }
  }
}

// ---- internals

LockView LockService::view(const LockRecord& lock) {
  return view_of(lock, locks_.pile_counts(lock.id));
}

LockDetails LockService::details_of(LockSummary summary) {
  LockDetails out;
  out.view = view_of(summary.lock, summary.pile_counts);
  out.transitions = std::move(summary.transitions);
  out.sightings = std::move(summary.sightings);
  return out;
}

LockView LockService::view_of(const LockRecord& lock, const std::vector<LockPileCount>& counts) {
  LockView v;
  v.lock = lock;
  const bool ended = !active(lock);
  for (const LockPileCount& c : counts) {
    const bool outstanding = c.status == PileStatus::Armed || c.status == PileStatus::Pending;
    if (ended && outstanding && !c.online)
      v.piles.pending_offline += c.count;
    else if (c.status == PileStatus::Armed)
      v.piles.armed += c.count;
    else if (c.status == PileStatus::Unsupported)
      v.piles.unsupported += c.count;
    else if (c.status == PileStatus::Pending)
      v.piles.pending += c.count;
    else
      v.piles.disarmed += c.count;
  }
  v.piles.release_complete = ended && v.piles.armed == 0 && v.piles.pending == 0;
  return v;
}

LockRecord LockService::owned(std::int64_t owner_id, const std::string& lock_id) {
  auto lock = locks_.find(lock_id);
  if (!lock || lock->owner_id != owner_id) throw NotFoundError("no lock " + lock_id);
  return *lock;
}

bool LockService::in_scope(const LockRecord& lock,
                           const std::optional<GeoLocation>& location) const {
  if (!lock.radius_km || !lock.center) return true;
  if (!location) return false;  // unknown place: not provably inside
  return distance_km(*lock.center, *location) <= *lock.radius_km;
}

}  // namespace chargelock::core
