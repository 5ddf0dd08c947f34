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
#include "core/log.h"
#include "core/vehicle_identity.h"
#include "core/vehicle_service.h"

namespace chargelock::core {

namespace {

constexpr double kEarthRadiusKm = 6371.0088;
constexpr double kMaxRadiusKm = 20038;  // half the equator: every point
constexpr const char* kOriginPrefix = "lock:";
// A lock's commands wait for an offline pile as long as a lock may live:
// the arming (and the disarming) of a pile must never lapse by itself.
constexpr std::chrono::seconds kLockCommandLifetime{366 * 24 * 3600};  // the queue's maximum

// Unguessable: a lock id names the lock in URLs.
std::string new_lock_id() { return base::random_uuid_v4(); }

std::string origin_of(const LockRecord& lock) { return kOriginPrefix + lock.id; }

// A command the lock sends to a pile (its origin ties the outcome to the lock).
CommandRequest lock_command(const LockRecord& lock, const std::string& charge_point_id,
                            const std::string& action, const std::string& payload) {
  CommandRequest request;
  request.charge_point_id = charge_point_id;
  request.action = action;
  request.payload_json = payload;
  request.origin = origin_of(lock);
  request.expires_in = kLockCommandLifetime;
  return request;
}

// A held vehicle: engaged at a connector that holds it.
bool held(const LockRecord& lock) {
  return lock.status == lock_status::kEngaged && !lock.engaged_without_hold;
}

bool active(const LockRecord& lock) {
  return lock.status == lock_status::kRequested || lock.status == lock_status::kArmed ||
         lock.status == lock_status::kEngaged;
}

void log(const std::string& text) { core::log(LogLevel::Info, "lock", "lock: " + text); }

// The state a pile's LockVehicle answer gives it, with the detail; nothing
// while no definitive answer came (queued, sent, timed out, other errors).
std::optional<std::pair<std::string, std::string>> derived_state(const LockPile& pile) {
  if (!pile.command_status) return std::nullopt;
  if (*pile.command_status == "completed") {
    const auto status = pile.command_response_json
                            ? lock_codec::status_of(*pile.command_response_json)
                            : std::nullopt;
    if (status == std::optional<std::string>("Accepted"))
      return std::make_pair(std::string(pile_status::kArmed), std::string("Accepted"));
    return std::make_pair(std::string(pile_status::kUnsupported),
                          status.value_or("unreadable answer"));
  }
  if (*pile.command_status == "failed" && pile.command_error_code &&
      (*pile.command_error_code == "NotImplemented" || *pile.command_error_code == "NotSupported"))
    return std::make_pair(std::string(pile_status::kUnsupported), *pile.command_error_code);
  return std::nullopt;
}

bool unsupported_error(const std::optional<std::string>& code) {
  return code == std::optional<std::string>("NotImplemented") ||
         code == std::optional<std::string>("NotSupported");
}

// A failed delivery is sent again after 10 s, 20 s, 40 s ... at most 10 min:
// a pile that answers InternalError while busy is not flooded, and never
// given up on.
std::chrono::seconds backoff(int attempts) {
  return std::min(std::chrono::seconds(10 << std::clamp(attempts, 0, 6)),
                  std::chrono::seconds(600));
}

// What a pile's commands' outcomes call for: the one rule for every path
// (an answer, the sweep, a release).
struct PileStep {
  enum Kind { None, Record, RearmNow, RetryLater, UnlockAgain } kind = None;
  std::string status;  // Record
  std::string detail;  // Record
};

PileStep record(const std::string& status, const std::string& detail) {
  return {PileStep::Record, status, detail};
}

PileStep next_step(bool lock_active, const LockPile& pile, Timestamp now) {
  if (pile.status != pile_status::kPending && pile.status != pile_status::kArmed) return {};
  const auto retry = [&](PileStep::Kind again) {
    if (!pile.retry_at) return PileStep{PileStep::RetryLater, {}, {}};
    return *pile.retry_at <= now ? PileStep{again, {}, {}} : PileStep{};
  };
  // After the release: the pile's answer to UnlockVehicle decides.
  if (pile.unlock_command_id) {
    const auto& u = pile.unlock_status;
    if (!u || *u == "timeout" || *u == "expired") return {PileStep::UnlockAgain, {}, {}};
    if (*u == "completed") {
      const auto answer = pile.unlock_response_json
                              ? lock_codec::status_of(*pile.unlock_response_json)
                              : std::nullopt;
      // Rejected: the pile holds nothing for this lock (e.g. it rebooted).
      return record(pile_status::kDisarmed, answer.value_or("unreadable answer"));
    }
    if (*u == "failed") {
      if (unsupported_error(pile.unlock_error_code))
        return record(pile_status::kDisarmed, *pile.unlock_error_code);
      return retry(PileStep::UnlockAgain);
    }
    // Queued or sent: the LockVehicle's answer may still come before it.
  }
  if (const auto derived = derived_state(pile)) {
    if (derived->first == pile.status && pile.detail == derived->second) return {};
    return record(derived->first, derived->second);
  }
  if (!lock_active || pile.unlock_command_id) return {};
  const auto& c = pile.command_status;
  if (!c || *c == "timeout" || *c == "expired") return {PileStep::RearmNow, {}, {}};
  if (*c == "failed") return retry(PileStep::RearmNow);  // not NotImplemented: derived above
  return {};
}

std::string where(const std::string& charge_point_id, std::optional<int> connector_id) {
  if (!connector_id) return charge_point_id;
  return fmt::format("{} connector {}", charge_point_id, *connector_id);
}

}  // namespace

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
  const std::string vin = VehicleService::normalize_vin(request.vin);
  const auto vehicle = vehicles_.find_registration(vin, request.owner_id);
  if (!vehicle) {
    if (vehicles_.known(vin)) throw ForbiddenError("not your vehicle");
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

  // One owner cannot flood the network with lock/release cycles. A repeated
  // request for the active lock is answered with it and costs nothing.
  if (!locks_.active_for_vehicle(vin) && locks_.requested_since(vin, now - std::chrono::hours(1)) >=
                                             limits_.requests_per_vehicle_per_hour)
    throw LimitError(fmt::format("at most {} lock requests per vehicle per hour",
                                 limits_.requests_per_vehicle_per_hour));

  LockStore::Created stored;
  try {
    stored = locks_.create(lock);
    {
      std::lock_guard<std::mutex> guard(no_active_mutex_);
      no_active_since_.reset();
    }
  } catch (const RowNotFoundError&) {
    throw NotFoundError("no vehicle " + vin);
  }
  if (created) *created = stored.created;
  if (stored.created) engage_from_transactions(stored.lock, *vehicle);
  // A lock left "requested" (a crash before its dispatch) is dispatched now.
  if (const auto current = locks_.find(stored.lock.id);
      current && (current->status == lock_status::kRequested ||
                  (current->status == lock_status::kEngaged && stored.created)))
    dispatch(*current);
  return *find(stored.lock.id);
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
  owned(owner_id, lock_id);
  return *find(lock_id);
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
  owned(owner_id, lock_id);
  reconcile(lock_id);
  return release_lock(owned(owner_id, lock_id), "the owner");
}

LockView LockService::release_by_operator(const std::string& lock_id,
                                          const std::string& operator_name,
                                          const std::string& reason) {
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos)
    throw std::invalid_argument("reason: an operator release must say why");
  if (reason.size() > 1000) throw std::invalid_argument("reason: at most 1000 characters");
  if (!locks_.find(lock_id)) throw NotFoundError("no lock " + lock_id);
  reconcile(lock_id);
  const auto lock = locks_.find(lock_id);
  if (!active(*lock)) return view(*lock);
  const std::string who = fmt::format("operator {} (reason: {})", operator_name, reason);
  LockView released = release_lock(*lock, who);
  notify(released.lock, notification_kind::kLockState,
         lock_codec::ObjectWriter()
             .add("lockId", lock->id)
             .add("vin", lock->vin)
             .add("status", released.lock.status)
             .add("cause", "released by " + who)
             .add("releasedBy", "operator")
             .add("reason", reason)
             .str());
  return released;
}

LockView LockService::release_lock(const LockRecord& lock, const std::string& who) {
  if (!active(lock)) return view(lock);
  if (lock.status != lock_status::kEngaged)
    return cancel_unheld(lock, "released by " + who + " before a catch");

  if (lock.release_command_id && !lock.release_error) {
    const auto command = commands_.find(*lock.release_command_id);
    if (command &&
        (command->status == CommandStatus::Queued || command->status == CommandStatus::Sent))
      return view(lock);  // a release is under way
  }
  disarm(lock);
  if (lock.engaged_without_hold || !lock.charge_point_id || !lock.connector_id) {
    LockUpdate update;
    update.lock_id = lock.id;
    update.from = {lock_status::kEngaged};
    update.to = lock_status::kReleased;
    update.cause = "released by " + who + " (no pile held the vehicle)";
    update.clear_release_error = true;
    if (auto released = locks_.update(update)) {
      notify_state(*released, update.cause);
      return view(*released);
    }
    return *find(lock.id);
  }
  const auto command = enqueue(lock, *lock.charge_point_id, "UnlockConnector",
                               lock_codec::unlock_connector_payload(*lock.connector_id));
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {lock_status::kEngaged};
  update.to = lock_status::kEngaged;
  if (command) {
    update.release_command_id = command->id;
    update.clear_release_error = true;
    update.cause = fmt::format("release requested by {}: UnlockConnector to {} (command {})", who,
                               where(*lock.charge_point_id, lock.connector_id), command->id);
  } else {
    update.release_error = "UnlockConnector could not be queued";
    update.cause = "release requested by " + who + ": UnlockConnector could not be queued";
  }
  if (auto updated = locks_.update(update)) return view(*updated);
  return *find(lock.id);
}

LockView LockService::cancel(std::int64_t owner_id, const std::string& lock_id) {
  LockRecord lock = owned(owner_id, lock_id);
  if (!active(lock)) return view(lock);
  if (lock.status == lock_status::kEngaged)
    throw ConflictError("the vehicle is held; release the lock instead");
  return cancel_unheld(lock, "cancelled by the owner");
}

LockView LockService::change(const std::string& lock_id, const LockChange& change) {
  const LockRecord lock = change.owner_id ? owned(*change.owner_id, lock_id) : [&] {
    auto found = locks_.find(lock_id);
    if (!found) throw NotFoundError("no lock " + lock_id);
    return *found;
  }();
  if (!active(lock)) throw ConflictError("lock " + lock_id + " is " + lock.status);
  const char* who = change.owner_id ? "the owner" : "an operator";
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {lock_status::kRequested, lock_status::kArmed, lock_status::kEngaged};
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

LockView LockService::cancel_unheld(const LockRecord& lock, const std::string& cause,
                                    const char* to) {
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {lock_status::kRequested, lock_status::kArmed};
  update.to = to;
  update.cause = cause;
  auto cancelled = locks_.update(update);
  if (!cancelled) throw ConflictError("the vehicle was caught meanwhile; release the lock instead");
  disarm(*cancelled);
  notify_state(*cancelled, cause);
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
  if (status && *status != pile_status::kPending && *status != pile_status::kArmed &&
      *status != pile_status::kUnsupported && *status != pile_status::kDisarmed)
    throw std::invalid_argument("status: pending, armed, unsupported or disarmed");
  return locks_.piles_page(lock_id, status, after, limit);
}

// ---- command outcomes

void LockService::reconcile(const std::string& lock_id) {
  const auto lock = locks_.find(lock_id);
  if (!lock) return;
  LazyVehicle vehicle;
  settle(*lock, locks_.piles(lock_id), vehicle);
  reconcile_release(*lock);
}

void LockService::reconcile_release(const LockRecord& lock_record) {
  const auto* lock = &lock_record;
  if (lock->status != lock_status::kEngaged || !lock->release_command_id || lock->release_error)
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
  update.from = {lock_status::kEngaged};
  update.at = command->completed_at;
  if (!failure) {
    update.to = lock_status::kReleased;
    update.cause = fmt::format("UnlockConnector at {} answered Unlocked",
                               where(*lock->charge_point_id, lock->connector_id));
  } else {
    update.to = lock_status::kEngaged;
    update.release_error = *failure;
    update.cause = "release failed: " + *failure;
  }
  if (auto updated = locks_.update(update)) notify_state(*updated, update.cause);
}

int LockService::sweep() {
  const auto now = time_.now();
  try {
    for (const LockRecord& lock : locks_.expiring_before(now)) expire(lock);
    for (const LockRecord& lock : locks_.expiring_before(now + limits_.expiry_warning))
      if (!lock.expiry_warned_at) warn_expiry(lock);
  } catch (const std::exception& e) {
    log(std::string("expiring locks failed: ") + e.what());
  }
  // Failed deliveries whose back-off ran out, of active and ended locks
  // (an UnlockVehicle after the release is retried as a LockVehicle is).
  try {
    std::map<std::string, std::vector<LockPile>> due;
    for (LockPile& pile : locks_.piles_due(now)) due[pile.lock_id].push_back(std::move(pile));
    for (const auto& [lock_id, piles] : due) {
      if (const auto lock = locks_.find(lock_id)) {
        LazyVehicle vehicle;
        settle(*lock, piles, vehicle);
      }
    }
  } catch (const std::exception& e) {
    log(std::string("retrying failed deliveries failed: ") + e.what());
  }
  int n = 0;
  for (const LockRecord& lock : locks_.list_active()) {
    try {
      reconcile(lock.id);
      stop_charging(lock, locks_.sightings(lock.id));
    } catch (const std::exception& e) {
      log("reconciling " + lock.id + " failed: " + e.what());
    }
    ++n;
  }
  return n;
}

void LockService::expire(const LockRecord& lock) {
  const std::string cause = fmt::format("expired (expiresAt {})", format_rfc3339(lock.expires_at));
  if (lock.status != lock_status::kEngaged) {
    try {
      cancel_unheld(lock, cause, lock_status::kExpired);
    } catch (const ConflictError&) {
      // Caught meanwhile: the next sweep expires it as engaged.
    }
    return;
  }
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {lock_status::kEngaged};
  update.to = lock_status::kExpired;
  update.cause = cause;
  const auto expired = locks_.update(update);
  if (!expired) return;
  disarm(*expired);
  if (held(lock) && lock.connector_id)
    enqueue(*expired, *lock.charge_point_id, "UnlockConnector",
            lock_codec::unlock_connector_payload(*lock.connector_id));
  notify_state(*expired, cause);
}

void LockService::warn_expiry(const LockRecord& lock) {
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {lock_status::kRequested, lock_status::kArmed, lock_status::kEngaged};
  update.expiry_warned_at = time_.now();
  const auto warned = locks_.update(update);
  if (!warned) return;
  notify(*warned, notification_kind::kLockExpiring,
         lock_codec::ObjectWriter()
             .add("lockId", lock.id)
             .add("vin", lock.vin)
             .add("status", lock.status)
             .add("expiresAt", format_rfc3339(lock.expires_at))
             .add("renewPath", "/api/v1/locks/" + lock.id)
             .str());
}

void LockService::command_finished(WriteBatch& batch, const CommandRecord& command) {
  commands_finished(batch, {command});
}

void LockService::commands_finished(WriteBatch& /*batch*/,
                                    const std::vector<CommandRecord>& commands) {
  // Only the piles these commands went to can have changed (and the
  // release, when one was the UnlockConnector): a lock spans thousands of
  // piles, and re-deriving all of them per answer made a fan-out quadratic.
  std::map<std::string, std::vector<const CommandRecord*>> by_lock;
  for (const CommandRecord& command : commands)
    if (command.origin.rfind(kOriginPrefix, 0) == 0)
      by_lock[command.origin.substr(std::char_traits<char>::length(kOriginPrefix))].push_back(
          &command);
  for (const auto& [lock_id, answered] : by_lock) {
    try {
      const auto lock = locks_.find(lock_id);
      if (!lock) continue;
      std::set<std::int64_t> ids;
      std::vector<std::string> charge_points;
      bool release_answered = false;
      for (const CommandRecord* command : answered) {
        ids.insert(command->id);
        charge_points.push_back(command->charge_point_id);
        release_answered = release_answered || lock->release_command_id == command->id;
      }
      std::vector<LockPile> piles;
      for (LockPile& pile : locks_.piles_of(lock->id, charge_points))
        if ((pile.command_id && ids.count(*pile.command_id) != 0) ||
            (pile.unlock_command_id && ids.count(*pile.unlock_command_id) != 0))
          piles.push_back(std::move(pile));
      LazyVehicle vehicle;
      settle(*lock, piles, vehicle);
      // A standard pile where the vehicle is charging now: stop it.
      if (lock->status == lock_status::kEngaged && lock->charge_point_id &&
          std::any_of(piles.begin(), piles.end(), [&](const LockPile& p) {
            return p.charge_point_id == *lock->charge_point_id;
          }))
        stop_charging(*lock, locks_.sightings(lock->id));
      if (release_answered) reconcile_release(*lock);
    } catch (const std::exception& e) {
      log(fmt::format("reconciling lock {} after {} command outcome(s) failed: {}", lock_id,
                      answered.size(), e.what()));
    }
  }
}

// ---- extension points

DataTransferResult LockService::handle(const std::string& charge_point_id,
                                       const DataTransferRequest& request) {
  DataTransferResult result;
  if (request.message_id == std::optional<std::string>(lock_codec::kCapabilities)) {
    const auto hashed = lock_codec::parse_hashed_matching(request.data.value_or(""));
    if (!hashed) {
      result.status = DataTransferStatus::Rejected;
      return result;
    }
    locks_.set_hashed_matching(charge_point_id, *hashed);
    log(fmt::format("{} declared hashed matching {}", charge_point_id, *hashed ? "on" : "off"));
    result.status = DataTransferStatus::Accepted;
    return result;
  }
  if (request.message_id != std::optional<std::string>(lock_codec::kVehicleLocked)) {
    result.status = DataTransferStatus::UnknownMessageId;
    return result;
  }
  return vehicle_locked(charge_point_id, request.data.value_or(""));
}

bool LockService::identifies_vehicle(const LockRecord& lock, const std::string& kind,
                                     const std::string& value) {
  const auto parsed = identifier_kind_from(kind);
  if (!parsed) return false;
  if (*parsed == IdentifierKind::Vin) return match_key(IdentifierKind::Vin, value) == lock.vin;
  const auto vehicle = vehicle_of(lock);
  if (!vehicle) return false;
  if (*parsed == IdentifierKind::IdTag)
    return std::find(vehicle->id_tags.begin(), vehicle->id_tags.end(), value) !=
           vehicle->id_tags.end();
  const std::string key = evcc_match_key(value);
  return std::any_of(vehicle->evcc_ids.begin(), vehicle->evcc_ids.end(),
                     [&](const std::string& id) { return evcc_match_key(id) == key; });
}

DataTransferResult LockService::vehicle_locked(const std::string& charge_point_id,
                                               const std::string& data) {
  DataTransferResult rejected;
  rejected.status = DataTransferStatus::Rejected;
  DataTransferResult accepted;
  accepted.status = DataTransferStatus::Accepted;

  std::string error;
  const auto report = lock_codec::parse_vehicle_locked(data, &error);
  if (!report) {
    log(fmt::format("VehicleLocked from {} rejected: {}", charge_point_id, error));
    return rejected;
  }
  const auto lock = locks_.find(report->lock_id);
  if (!lock || !active(*lock)) {
    log(fmt::format("VehicleLocked from {} rejected: lock {} is {}", charge_point_id,
                    report->lock_id, lock ? lock->status : std::string("unknown")));
    return rejected;
  }
  // Only a pile this lock was sent to may report it, and only with one of
  // the locked vehicle's own identifiers: any pile in scope learns the lock
  // id, so the id alone proves nothing.
  if (!locks_.pile(lock->id, charge_point_id)) {
    log(fmt::format("VehicleLocked from {} rejected: lock {} was never sent to it", charge_point_id,
                    lock->id));
    return rejected;
  }
  if (!identifies_vehicle(*lock, report->matched_kind, report->matched_value)) {
    log(fmt::format("VehicleLocked from {} rejected: {} {} is not vehicle {}'s", charge_point_id,
                    report->matched_kind, report->matched_value, lock->vin));
    return rejected;
  }
  const std::string at = where(charge_point_id, report->connector_id);
  const bool same_place =
      lock->charge_point_id == charge_point_id && lock->connector_id == report->connector_id;
  if (held(*lock) && same_place && report->held) return accepted;  // a repeated report

  NewSighting sighting;
  sighting.lock_id = lock->id;
  sighting.charge_point_id = charge_point_id;
  sighting.connector_id = report->connector_id;
  sighting.source = sighting_source::kVehicleLocked;
  sighting.matched_kind = report->matched_kind;
  sighting.matched_value = report->matched_value;
  sighting.held = report->held;
  const Sighting seen = record_sighting(*lock, sighting);

  // The lock records where the vehicle is held: the first catch, or a hold
  // after catches without one. Any other report is a sighting only (the
  // car was moved, or seen at a second pile): the vehicle is not lost.
  const bool takes_the_lock =
      lock->status != lock_status::kEngaged || (!held(*lock) && (report->held || same_place));
  if (!takes_the_lock) {
    notify_sighted(*lock, seen);
    return accepted;
  }
  LockUpdate update;
  update.lock_id = lock->id;
  update.from = {lock_status::kRequested, lock_status::kArmed, lock_status::kEngaged};
  update.to = lock_status::kEngaged;
  update.cause =
      fmt::format("VehicleLocked: {} at {} ({} {})", report->held ? "held" : "seen, not held", at,
                  report->matched_kind, report->matched_value);
  if (lock->status == lock_status::kEngaged) update.cause += " after a catch without hold";
  update.charge_point_id = charge_point_id;
  update.connector_id = report->connector_id;
  update.matched_kind = report->matched_kind;
  update.matched_value = report->matched_value;
  update.engaged_without_hold = !report->held;
  update.engaged_at = time_.now();
  const auto engaged = locks_.update(update);
  if (!engaged) {
    log(fmt::format("VehicleLocked from {}: lock {} ended meanwhile (sighting kept)", at,
                    lock->id));
    return accepted;
  }
  notify_caught(*engaged, seen);
  return accepted;
}

std::optional<AuthorizationStatus> LockService::check(const AuthorizationContext& context,
                                                      const std::string& id_tag) {
  if (!context.check_concurrent) return std::nullopt;  // StopTransaction
  IdentifierProbe probe;
  probe.id_tag = id_tag;
  probe.evcc_key = evcc_match_key(id_tag);
  probe.vin = match_key(IdentifierKind::Vin, id_tag);
  const auto lock = locks_.active_for_identifier(probe);
  if (!lock) return std::nullopt;

  // Which of the vehicle's identifiers the pile sent.
  const char* kind = to_string(IdentifierKind::IdTag);
  if (const auto vehicle = vehicle_of(*lock)) {
    if (std::find(vehicle->id_tags.begin(), vehicle->id_tags.end(), id_tag) ==
        vehicle->id_tags.end())
      kind = probe.vin == lock->vin ? to_string(IdentifierKind::Vin)
                                    : to_string(IdentifierKind::EvccId);
  }
  const bool start = context.connector_id.has_value();
  NewSighting sighting;
  sighting.lock_id = lock->id;
  sighting.charge_point_id = context.charge_point_id;
  sighting.connector_id = context.connector_id;
  sighting.source = start ? sighting_source::kStartTransaction : sighting_source::kAuthorize;
  sighting.matched_kind = kind;
  sighting.matched_value = id_tag;
  sighting.held = false;
  if (start) sighting.transaction_id = context.ignore_transaction_id;
  const Sighting seen = record_sighting(*lock, sighting);

  if (lock->status != lock_status::kEngaged) {
    LockUpdate update;
    update.lock_id = lock->id;
    update.from = {lock_status::kRequested, lock_status::kArmed};
    update.to = lock_status::kEngaged;
    update.cause =
        fmt::format("{} with {} {} answered Blocked at {} (engaged without hold)", sighting.source,
                    kind, id_tag, where(context.charge_point_id, context.connector_id));
    update.charge_point_id = context.charge_point_id;
    if (context.connector_id)
      update.connector_id = *context.connector_id;
    else
      update.clear_connector_id = true;
    update.matched_kind = kind;
    update.matched_value = id_tag;
    update.engaged_without_hold = true;
    update.engaged_at = time_.now();
    if (auto engaged = locks_.update(update)) notify_caught(*engaged, seen);
  } else {
    log(fmt::format("{} of locked vehicle {} answered Blocked at {}", id_tag, lock->vin,
                    where(context.charge_point_id, context.connector_id)));
    notify_sighted(*lock, seen);
  }
  return AuthorizationStatus::Blocked;
}

std::optional<std::string> LockService::refuse(const CommandRequest& request) {
  const std::string& action = request.action;
  const bool unlock = action == "UnlockConnector";
  const bool stop = action == "RemoteStopTransaction";
  const bool availability = action == "ChangeAvailability";
  bool undoes = unlock || stop || availability || action == "Reset" || action == "UpdateFirmware" ||
                action == "SignedUpdateFirmware";
  if (action == "DataTransfer")
    undoes = lock_codec::string_member(request.payload_json, "vendorId") ==
                 std::optional<std::string>(lock_codec::kVendorId) &&
             lock_codec::string_member(request.payload_json, "messageId") ==
                 std::optional<std::string>("UnlockVehicle");
  if (!undoes) return std::nullopt;
  for (const LockRecord& lock : locks_.engaged_at(request.charge_point_id)) {
    if (!held(lock)) continue;                        // a catch without hold freezes nothing
    if (request.origin == origin_of(lock)) continue;  // the lock's own release
    if ((unlock || availability) && lock.connector_id) {
      const auto connector = lock_codec::int_member(request.payload_json, "connectorId");
      if (connector && *connector != 0 && *connector != *lock.connector_id) continue;
    }
    if (stop && lock.connector_id) {
      const auto id = lock_codec::int_member(request.payload_json, "transactionId");
      if (id && *id >= 0 && *id <= INT32_MAX) {
        const auto transaction = transactions_.find(static_cast<int>(*id));
        if (transaction && (transaction->charge_point_id != request.charge_point_id ||
                            transaction->connector_id != *lock.connector_id))
          continue;
      }
    }
    return fmt::format(
        "{} holds a locked vehicle (lock {}); the owner must release it first (or an operator, "
        "with a reason: POST /locks/{}/release)",
        where(request.charge_point_id, lock.connector_id), lock.id, lock.id);
  }
  return std::nullopt;
}

void LockService::booted(WriteBatch& /*batch*/, const std::string& charge_point_id,
                         RegistrationStatus status) {
  if (status != RegistrationStatus::Accepted) return;
  resync(charge_point_id, true);
}

void LockService::connected(WriteBatch& /*batch*/, const std::string& charge_point_id) {
  resync(charge_point_id, false);
}

std::vector<LockRecord> LockService::active_locks() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(no_active_mutex_);
    if (no_active_since_ && now - *no_active_since_ < kNoActiveLockReuse) return {};
  }
  auto active = locks_.list_active();
  std::lock_guard<std::mutex> lock(no_active_mutex_);
  if (active.empty())
    no_active_since_ = now;
  else
    no_active_since_.reset();
  return active;
}

void LockService::resync(const std::string& charge_point_id, bool at_boot) {
  try {
    const auto active_locks = this->active_locks();
    if (active_locks.empty()) return;
    const auto charge_point = charge_points_.find(charge_point_id);
    if (!charge_point) return;
    if (!at_boot && charge_point->registration_status != RegistrationStatus::Accepted) return;
    for (const LockRecord& lock : active_locks) {
      try {
        if (!in_scope(lock, *charge_point)) continue;
        auto row = locks_.pile(lock.id, charge_point_id);
        if (row) {
          if (const auto derived = derived_state(*row);
              derived && derived->first == pile_status::kUnsupported)
            continue;
          if (row->status == pile_status::kUnsupported || row->status == pile_status::kDisarmed)
            continue;
          // On its way (a LockVehicle sent on an older connection times
          // out when this one registers, and is re-sent then).
          if (row->command_status == std::optional<std::string>("queued") ||
              row->command_status == std::optional<std::string>("sent"))
            continue;
          // A reconnect without a boot: the pile kept what it was told;
          // only a delivery that lapsed is sent again. A boot may have
          // wiped the pile's watch list: it is armed again.
          const PileStep step = next_step(true, *row, Clock::now());
          if (!at_boot && step.kind != PileStep::RearmNow) continue;
        }
        const auto vehicle = vehicle_of(lock);
        if (!vehicle) continue;
        arm(lock, *vehicle, charge_point_id, row);
      } catch (const std::exception& e) {
        log(fmt::format("arming {} for lock {} failed: {}", charge_point_id, lock.id, e.what()));
      }
    }
  } catch (const std::exception& e) {
    log(fmt::format("arming {} failed: {}", charge_point_id, e.what()));
  }
}

void LockService::engage_from_transactions(const LockRecord& lock, const Vehicle& vehicle) {
  // Autocharge piles send the EVCC id as the id tag, GB/T piles the VIN.
  std::vector<std::pair<const char*, std::string>> names;
  for (const auto& tag : vehicle.id_tags) names.emplace_back("idTag", tag);
  for (const auto& id : vehicle.evcc_ids) names.emplace_back("evccId", id);
  names.emplace_back("vin", vehicle.vin);
  for (const auto& [kind, value] : names) {
    for (const auto& transaction : transactions_.open_for_id_tag(value)) {
      NewSighting sighting;
      sighting.lock_id = lock.id;
      sighting.charge_point_id = transaction.charge_point_id;
      sighting.connector_id = transaction.connector_id;
      sighting.source = sighting_source::kTransaction;
      sighting.matched_kind = kind;
      sighting.matched_value = value;
      sighting.held = false;
      sighting.transaction_id = transaction.id;
      const Sighting seen = record_sighting(lock, sighting);
      LockUpdate update;
      update.lock_id = lock.id;
      update.from = {lock_status::kRequested, lock_status::kArmed};
      update.to = lock_status::kEngaged;
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
      if (auto engaged = locks_.update(update)) {
        notify_caught(*engaged, seen);
        // That pile gets LockVehicle first (an extension pile holds the
        // connector); the fan-out to the others follows. (arm() commits the
        // command with the pile's row: the pile may answer VehicleLocked at once.)
        arm(*engaged, vehicle, transaction.charge_point_id, std::nullopt);
      }
      return;  // a vehicle charges at one place
    }
  }
}

void LockService::stop_charging(const LockRecord& lock, const std::vector<Sighting>& sightings) {
  if (!active(lock)) return;
  for (const Sighting& seen : sightings) {
    if (!seen.transaction_id) continue;
    if (seen.source != sighting_source::kTransaction &&
        seen.source != sighting_source::kStartTransaction)
      continue;
    const auto transaction = transactions_.find(*seen.transaction_id);
    if (!transaction || transaction->stop_timestamp) continue;  // stopped: nothing to do
    // A pile with the extension that armed holds the vehicle itself; a pile
    // without it (or not yet answering) would go on charging the car.
    if (seen.source == sighting_source::kTransaction) {
      const auto pile = locks_.pile(lock.id, seen.charge_point_id);
      if (!pile || pile->status == pile_status::kArmed) continue;
      const auto derived = derived_state(*pile);
      if (pile->status != pile_status::kUnsupported &&
          (!derived || derived->first != pile_status::kUnsupported))
        continue;
    }
    CommandRequest request =
        lock_command(lock, seen.charge_point_id, "RemoteStopTransaction",
                     lock_codec::ObjectWriter().add("transactionId", *seen.transaction_id).str());
    // Once per transaction, whichever node's sweep gets there first.
    request.idempotency_key = fmt::format("lock:{}:stop:{}", lock.id, *seen.transaction_id);
    try {
      const auto command = commands_.enqueue(request);
      (void)command;
    } catch (const std::exception& e) {
      log(fmt::format("RemoteStopTransaction {} at {} not queued: {}", *seen.transaction_id,
                      seen.charge_point_id, e.what()));
    }
  }
}

// ---- internals

LockView LockService::view(const LockRecord& lock) {
  LockView v;
  v.lock = lock;
  const bool ended = !active(lock);
  for (const LockPileCount& c : locks_.pile_counts(lock.id)) {
    const bool outstanding = c.status == pile_status::kArmed || c.status == pile_status::kPending;
    if (ended && outstanding && !c.online)
      v.piles.pending_offline += c.count;
    else if (c.status == pile_status::kArmed)
      v.piles.armed += c.count;
    else if (c.status == pile_status::kUnsupported)
      v.piles.unsupported += c.count;
    else if (c.status == pile_status::kPending)
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

bool LockService::in_scope(const LockRecord& lock, const ChargePointRecord& charge_point) const {
  if (!lock.radius_km || !lock.center) return true;
  if (!charge_point.location) return false;  // unknown place: not provably inside
  return distance_km(*lock.center, *charge_point.location) <= *lock.radius_km;
}

std::optional<CommandRecord> LockService::enqueue(const LockRecord& lock,
                                                  const std::string& charge_point_id,
                                                  const std::string& action,
                                                  const std::string& payload) {
  try {
    return commands_.enqueue(lock_command(lock, charge_point_id, action, payload));
  } catch (const RowNotFoundError&) {
    return std::nullopt;  // the charge point was removed meanwhile
  } catch (const InvalidCommand& e) {
    log(fmt::format("{} for {} refused by the command queue: {}", action, charge_point_id,
                    e.what()));
    return std::nullopt;
  }
}

void LockService::arm(const LockRecord& lock, const Vehicle& vehicle,
                      const std::string& charge_point_id, std::optional<LockPile> row) {
  if (row) {  // armed again (a boot): only if the row is still as read
    LazyVehicle known{true, vehicle};
    rearm(lock, {*row}, known);
    return;
  }
  LockPile pile;
  pile.lock_id = lock.id;
  pile.charge_point_id = charge_point_id;
  pile.status = pile_status::kPending;
  run_grouped(batches_ ? batches_->make_batch().get() : nullptr, [&](WriteBatch&) {
    // The fan-out and this pile's boot may race: one row, one LockVehicle.
    locks_.hold(lock.id, false);
    if (locks_.add_piles({pile}).empty()) return;
    const auto command =
        enqueue(lock, charge_point_id, "DataTransfer",
                lock_vehicle_payload(lock, vehicle, locks_.hashed_matching(charge_point_id)));
    if (!command) return;
    LockPileChange change;
    change.next = pile;
    change.next.command_id = command->id;
    change.expected_status = pile_status::kPending;
    locks_.change_piles(lock.id, {change});
  });
}

void LockService::rearm(const LockRecord& lock, const std::vector<LockPile>& piles,
                        LazyVehicle& vehicle) {
  if (piles.empty() || !active(lock)) return;
  if (!vehicle.loaded) {
    vehicle.value = vehicle_of(lock);
    vehicle.loaded = true;
  }
  if (!vehicle.value) return;
  // First the rows let go of the lapsed command (only rows still as read:
  // whoever changes a row first acts on it), then LockVehicle goes to the
  // piles this call took.
  std::vector<LockPileChange> take;
  for (const LockPile& pile : piles) {
    LockPileChange change;
    change.next = pile;  // an armed pile re-armed at its boot stays armed until it answers
    change.next.command_id.reset();
    change.next.retry_at.reset();
    change.expected_status = pile.status;
    change.expected_command_id = pile.command_id;
    change.expected_unlock_command_id = pile.unlock_command_id;
    take.push_back(std::move(change));
  }
  run_grouped(batches_ ? batches_->make_batch().get() : nullptr, [&](WriteBatch&) {
    const auto taken = locks_.change_piles(lock.id, take);
    if (taken.empty()) return;
    const std::set<std::string> taken_set(taken.begin(), taken.end());
    const auto hashing = locks_.hashed_matching_piles();
    const std::set<std::string> hashing_piles(hashing.begin(), hashing.end());
    std::vector<LockPileChange> put;
    for (const auto& change : take) {
      if (taken_set.count(change.next.charge_point_id) == 0) continue;
      const auto command =
          enqueue(lock, change.next.charge_point_id, "DataTransfer",
                  lock_vehicle_payload(lock, *vehicle.value,
                                       hashing_piles.count(change.next.charge_point_id) != 0));
      if (!command) continue;  // the pile was removed; the sweep tries again
      LockPileChange set = change;
      set.next.command_id = command->id;
      set.expected_status = change.next.status;
      set.expected_command_id.reset();
      put.push_back(std::move(set));
    }
    locks_.change_piles(lock.id, put);
  });
}

void LockService::send_unlock(const LockRecord& lock, const std::vector<LockPile>& piles) {
  if (piles.empty()) return;
  // UnlockVehicle must reach every pile that may hold the lock: it is
  // queued first, then recorded on the pile's row. A row that changed
  // meanwhile (its LockVehicle answer was recorded) is read again and
  // recorded then; a row that already has another UnlockVehicle keeps it.
  const std::string payload = lock_codec::unlock_vehicle_payload(lock.id);
  std::vector<CommandRequest> requests;
  for (const LockPile& pile : piles)
    requests.push_back(lock_command(lock, pile.charge_point_id, "DataTransfer", payload));
  std::vector<std::optional<std::int64_t>> ids(piles.size());
  run_grouped(batches_ ? batches_->make_batch().get() : nullptr, [&](WriteBatch&) {
    try {
      const auto commands = commands_.enqueue_many(requests);
      for (std::size_t i = 0; i < commands.size(); ++i) ids[i] = commands[i].id;
    } catch (const RowNotFoundError&) {  // a pile was removed meanwhile: one by one
      for (std::size_t i = 0; i < piles.size(); ++i)
        if (const auto command = enqueue(lock, piles[i].charge_point_id, "DataTransfer", payload))
          ids[i] = command->id;
    }
    std::map<std::string, std::int64_t> todo;
    std::vector<LockPile> rows = piles;
    for (int round = 0; round < 4; ++round) {
      std::vector<LockPileChange> changes;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const LockPile& pile = rows[i];
        const auto id =
            round == 0 ? ids[i] : std::optional<std::int64_t>(todo[pile.charge_point_id]);
        if (!id || pile.unlock_command_id) continue;
        if (pile.status != pile_status::kPending && pile.status != pile_status::kArmed) continue;
        LockPileChange change;
        change.next = pile;
        change.next.unlock_command_id = *id;
        change.next.retry_at.reset();
        change.next.attempts = 0;
        change.expected_status = pile.status;
        change.expected_command_id = pile.command_id;
        change.expected_unlock_command_id = pile.unlock_command_id;
        changes.push_back(std::move(change));
        todo[pile.charge_point_id] = *id;
      }
      if (changes.empty()) return;
      for (const auto& id : locks_.change_piles(lock.id, changes)) todo.erase(id);
      if (todo.empty()) return;
      std::vector<std::string> again;
      for (const auto& [id, command] : todo) again.push_back(id);
      rows = locks_.piles_of(lock.id, again);
      for (auto it = todo.begin(); it != todo.end();) {  // rows gone: nothing to record
        const bool found = std::any_of(rows.begin(), rows.end(), [&](const LockPile& p) {
          return p.charge_point_id == it->first;
        });
        it = found ? std::next(it) : todo.erase(it);
      }
    }
    if (!todo.empty())
      log(fmt::format("lock {}: UnlockVehicle queued but not recorded for {} pile(s)", lock.id,
                      todo.size()));
  });
}

void LockService::settle(const LockRecord& lock, const std::vector<LockPile>& piles,
                         LazyVehicle& vehicle) {
  const auto now = Clock::now();
  const bool is_active = active(lock);
  std::vector<LockPileChange> changes;
  std::vector<std::string> now_unsupported;
  std::vector<LockPile> to_rearm;
  std::vector<LockPile> to_unlock;
  for (const LockPile& pile : piles) {
    const PileStep step = next_step(is_active, pile, now);
    switch (step.kind) {
      case PileStep::None:
        break;
      case PileStep::Record: {
        LockPileChange change;
        change.next = pile;
        change.next.status = step.status;
        change.next.detail = step.detail;
        change.next.retry_at.reset();
        change.next.attempts = 0;
        change.expected_status = pile.status;
        change.expected_command_id = pile.command_id;
        change.expected_unlock_command_id = pile.unlock_command_id;
        changes.push_back(std::move(change));
        if (step.status == pile_status::kUnsupported)
          now_unsupported.push_back(pile.charge_point_id);
        break;
      }
      case PileStep::RetryLater: {
        LockPileChange change;
        change.next = pile;
        change.next.retry_at = now + backoff(pile.attempts);
        change.next.attempts = pile.attempts + 1;
        change.expected_status = pile.status;
        change.expected_command_id = pile.command_id;
        change.expected_unlock_command_id = pile.unlock_command_id;
        changes.push_back(std::move(change));
        break;
      }
      case PileStep::RearmNow:
        to_rearm.push_back(pile);
        break;
      case PileStep::UnlockAgain: {
        LockPile again = pile;
        again.unlock_command_id.reset();  // send_unlock records the new one
        // The old one is replaced only if the row is still as read.
        LockPileChange drop;
        drop.next = pile;
        drop.next.unlock_command_id.reset();
        drop.next.retry_at.reset();
        drop.expected_status = pile.status;
        drop.expected_command_id = pile.command_id;
        drop.expected_unlock_command_id = pile.unlock_command_id;
        run_grouped(batches_ ? batches_->make_batch().get() : nullptr, [&](WriteBatch&) {
          if (!locks_.change_piles(lock.id, {drop}).empty()) send_unlock(lock, {again});
        });
        break;
      }
    }
  }
  const auto changed = locks_.change_piles(lock.id, changes);
  rearm(lock, to_rearm, vehicle);
  // A standard pile may authorize from its cache or local list: the cards
  // go on its list as Blocked and the cache is cleared, so it cannot start
  // charging on a cached Accepted while the central system is not asked.
  if (is_active && !now_unsupported.empty()) {
    const std::set<std::string> done(changed.begin(), changed.end());
    for (const std::string& id : now_unsupported)
      if (done.count(id) != 0) update_local_authorization(lock, id, true);
  }
}

void LockService::update_local_authorization(const LockRecord& lock,
                                             const std::string& charge_point_id, bool block) {
  try {
    const auto vehicle = vehicle_of(lock);
    if (!vehicle || vehicle->id_tags.empty()) return;
    // A differential update: the cards as Blocked while the lock is active,
    // removed from the list (no idTagInfo) when it ends.
    std::string entries = "[";
    for (const std::string& tag : vehicle->id_tags) {
      lock_codec::ObjectWriter entry;
      entry.add("idTag", tag);
      if (block) entry.add_raw("idTagInfo", R"({"status":"Blocked"})");
      entries += (entries.size() > 1 ? "," : "") + entry.str();
    }
    entries += "]";
    const int version = commands_.local_list_version(charge_point_id).value_or(0) + 1;
    CommandRequest list = lock_command(lock, charge_point_id, "SendLocalList",
                                       lock_codec::ObjectWriter()
                                           .add("listVersion", version)
                                           .add("updateType", "Differential")
                                           .add_raw("localAuthorizationList", entries)
                                           .str());
    // Once per lock and pile, whichever node gets there first.
    list.idempotency_key = fmt::format("lock:{}:{}:{}", lock.id,
                                       block ? "list-block" : "list-unblock", charge_point_id);
    commands_.enqueue(list);
    if (block) {
      CommandRequest clear = lock_command(lock, charge_point_id, "ClearCache", "{}");
      clear.idempotency_key = fmt::format("lock:{}:clear-cache:{}", lock.id, charge_point_id);
      commands_.enqueue(clear);
    }
  } catch (const std::exception& e) {
    log(fmt::format("local authorization update for {} (lock {}) not queued: {}", charge_point_id,
                    lock.id, e.what()));
  }
}

std::string LockService::lock_vehicle_payload(const LockRecord& lock, const Vehicle& vehicle,
                                              bool hashed) const {
  // A pile that declared hashed matching never learns the identifiers in
  // clear; a fresh salt per message (each carries its own).
  if (hashed)
    return lock_codec::lock_vehicle_hashed_payload(lock.id, random_hex(16), vehicle.vin,
                                                   vehicle.id_tags, vehicle.evcc_ids);
  return lock_codec::lock_vehicle_payload(lock.id, vehicle.vin, vehicle.id_tags, vehicle.evcc_ids);
}

std::optional<Vehicle> LockService::vehicle_of(const LockRecord& lock) {
  return vehicles_.find_registration(lock.vin, lock.owner_id);
}

Sighting LockService::record_sighting(const LockRecord& lock, const NewSighting& sighting) {
  Sighting seen = locks_.add_sighting(sighting);
  log(fmt::format("lock {}: vehicle {} sighted at {} ({}, {})", lock.id, lock.vin,
                  where(seen.charge_point_id, seen.connector_id), seen.source,
                  seen.held ? "held" : "not held"));
  return seen;
}

void LockService::dispatch(const LockRecord& lock) {
  const auto started = std::chrono::steady_clock::now();
  const auto vehicle = vehicle_of(lock);
  if (!vehicle) return;
  std::vector<std::string> targets;
  for (const ChargePointRecord& cp : charge_points_.list())
    if (in_scope(lock, cp)) targets.push_back(cp.id);
  // Thousands of piles: their commands and rows in a few statements and
  // one commit, not a few commits per pile.
  const std::string clear = lock_vehicle_payload(lock, *vehicle, false);
  const auto hashing = locks_.hashed_matching_piles();
  const std::set<std::string> hashing_piles(hashing.begin(), hashing.end());
  const std::string hashed =
      hashing_piles.empty() ? std::string() : lock_vehicle_payload(lock, *vehicle, true);
  try {
    run_grouped(batches_ ? batches_->make_batch().get() : nullptr, [&](WriteBatch&) {
      // Holding the lock's row, the piles armed before (a pile's boot, the
      // pile where the car charges) are known and no boot arms one now:
      // those keep their row and get no second LockVehicle.
      locks_.hold(lock.id, true);
      std::set<std::string> dispatched;
      for (const LockPile& pile : locks_.piles(lock.id)) dispatched.insert(pile.charge_point_id);
      std::vector<CommandRequest> requests;
      requests.reserve(targets.size());
      for (const std::string& id : targets)
        if (dispatched.count(id) == 0)
          requests.push_back(lock_command(lock, id, "DataTransfer",
                                          hashing_piles.count(id) != 0 ? hashed : clear));
      const auto commands = commands_.enqueue_many(requests);
      std::vector<LockPile> rows(commands.size());
      for (std::size_t i = 0; i < commands.size(); ++i) {
        rows[i].lock_id = lock.id;
        rows[i].charge_point_id = commands[i].charge_point_id;
        rows[i].status = pile_status::kPending;
        rows[i].command_id = commands[i].id;
      }
      locks_.add_piles(rows);
    });
  } catch (const RowNotFoundError&) {
    // A pile was removed meanwhile: arm the others one by one.
    for (const std::string& id : targets) arm(lock, *vehicle, id, std::nullopt);
  }
  const std::size_t queued = targets.size();
  core_metrics().lock_fanout_seconds.observe(std::chrono::steady_clock::now() - started);
  core_metrics().lock_fanout_piles.add(queued);
  LockUpdate update;
  update.lock_id = lock.id;
  update.from = {lock_status::kRequested};
  update.to = lock_status::kArmed;
  update.cause = fmt::format("LockVehicle queued for {} pile(s) in scope", queued);
  if (auto armed = locks_.update(update))
    notify_state(*armed, update.cause);
  else
    log(fmt::format("lock {}: LockVehicle queued for {} pile(s) in scope", lock.id, queued));
}

void LockService::disarm(const LockRecord& lock) {
  // Every armed (or still pending) pile gets UnlockVehicle; it stays armed
  // in the counts until it answers. Piles that answered they do not
  // support the extension get nothing. Thousands of piles: a few
  // statements and one commit.
  std::vector<LockPile> to_disarm;
  std::vector<std::string> listed;  // standard piles that got the cards as Blocked
  for (LockPile& pile : locks_.piles(lock.id)) {
    if (pile.status == pile_status::kUnsupported) listed.push_back(pile.charge_point_id);
    if (pile.status != pile_status::kPending && pile.status != pile_status::kArmed) continue;
    if (pile.unlock_command_id) continue;  // on its way already
    if (const auto derived = derived_state(pile);
        derived && derived->first == pile_status::kUnsupported) {
      listed.push_back(pile.charge_point_id);
      continue;  // settled by the next reconcile
    }
    to_disarm.push_back(std::move(pile));
  }
  send_unlock(lock, to_disarm);
  for (const std::string& id : listed) update_local_authorization(lock, id, false);
}

void LockService::notify(const LockRecord& lock, const char* kind, const std::string& body) {
  try {
    notifications_.notify(lock.owner_id, kind, body);
  } catch (const std::exception& e) {
    log(fmt::format("notifying owner {} about lock {} failed: {}", lock.owner_id, lock.id,
                    e.what()));
  }
}

void LockService::notify_state(const LockRecord& lock, const std::string& detail) {
  lock_codec::ObjectWriter body;
  body.add("lockId", lock.id).add("vin", lock.vin).add("status", lock.status).add("cause", detail);
  if (lock.release_error) body.add("releaseError", *lock.release_error);
  notify(lock, notification_kind::kLockState, body.str());
}

namespace {

// One sighting as notification members (owner and operators alike).
void add_sighting(lock_codec::ObjectWriter& body, const Sighting& seen) {
  body.add("chargePointId", seen.charge_point_id);
  if (seen.connector_id)
    body.add("connectorId", *seen.connector_id);
  else
    body.add_null("connectorId");
  body.add("location", seen.location);
  body.add("matchedBy", seen.matched_kind.value_or(""));
  body.add("matched", seen.matched_value.value_or(""));
  body.add("held", seen.held);
  body.add("source", seen.source);
  if (seen.transaction_id) body.add("transactionId", *seen.transaction_id);
  body.add("sightingId", seen.id);
  body.add("seenAt", format_rfc3339(seen.at));
}

std::string sighting_message(const Sighting& seen) {
  const std::string at = where(seen.charge_point_id, seen.connector_id);
  if (seen.source == sighting_source::kTransaction)
    return "your vehicle is charging at pile " + at + " now";
  if (seen.held) return "your vehicle is held at pile " + at;
  if (seen.source == sighting_source::kVehicleLocked)
    return "your vehicle was seen at pile " + at + ", not held (the pile cannot hold the cable)";
  return "your vehicle's " + seen.matched_kind.value_or("identifier") + " was refused at pile " +
         at + " (seen, not held)";
}

}  // namespace

void LockService::notify_caught(const LockRecord& lock, const Sighting& seen) {
  lock_codec::ObjectWriter body;
  body.add("lockId", lock.id).add("vin", lock.vin).add("status", lock.status);
  add_sighting(body, seen);
  body.add("engagedWithoutHold", lock.engaged_without_hold);
  if (lock.engaged_at) body.add("engagedAt", format_rfc3339(lock.engaged_at.value()));
  body.add("message", sighting_message(seen));
  notify(lock, notification_kind::kVehicleCaught, body.str());
  notify_operators(lock, notification_kind::kVehicleCaught, seen);
}

void LockService::notify_sighted(const LockRecord& lock, const Sighting& seen) {
  lock_codec::ObjectWriter body;
  body.add("lockId", lock.id).add("vin", lock.vin).add("status", lock.status);
  add_sighting(body, seen);
  body.add("message", sighting_message(seen));
  notify(lock, notification_kind::kVehicleSighted, body.str());
  notify_operators(lock, notification_kind::kVehicleSighted, seen);
}

void LockService::notify_operators(const LockRecord& lock, const char* kind, const Sighting& seen) {
  // The network operations centre dispatches staff or police: it gets every
  // catch and sighting, with the police case reference.
  lock_codec::ObjectWriter body;
  body.add("lockId", lock.id).add("vin", lock.vin).add("status", lock.status);
  add_sighting(body, seen);
  if (lock.case_reference) body.add("caseReference", *lock.case_reference);
  body.add("reportPath", "/api/v1/locks/" + lock.id + "/report");
  try {
    notifications_.notify(kOperatorsInbox, kind, body.str());
  } catch (const std::exception& e) {
    log(fmt::format("notifying operators about lock {} failed: {}", lock.id, e.what()));
  }
}

}  // namespace chargelock::core
