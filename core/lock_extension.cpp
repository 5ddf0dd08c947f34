// The extension points: the org.chargelock DataTransfer (VehicleLocked,
// Capabilities), the AuthorizationPolicy (Blocked for a locked vehicle) and
// the CommandGuard (no undoing a hold); sightings are recorded here.
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
#include "core/lock_service.h"
#include "core/log.h"
#include "core/vehicle_identity.h"
#include "core/vehicle_service.h"

namespace chargelock::core {

using namespace lock_rules;

// ---- extension points

DataTransferResult LockService::handle(WriteBatch& batch, const std::string& charge_point_id,
                                       const DataTransferRequest& request) {
  DataTransferResult result;
  if (request.message_id == std::optional<std::string>(lock_codec::kCapabilities)) {
    const auto hashed = lock_codec::parse_hashed_matching(request.data.value_or(""));
    if (!hashed) {
      result.status = DataTransferStatus::Rejected;
      return result;
    }
    locks(batch).set_hashed_matching(charge_point_id, *hashed);
    log(fmt::format("{} declared hashed matching {}", charge_point_id, *hashed ? "on" : "off"));
    result.status = DataTransferStatus::Accepted;
    return result;
  }
  if (request.message_id != std::optional<std::string>(lock_codec::kVehicleLocked)) {
    result.status = DataTransferStatus::UnknownMessageId;
    return result;
  }
  if (batch.grouped()) return vehicle_locked(batch, charge_point_id, request.data.value_or(""));
  return vehicle_locked(charge_point_id, request.data.value_or(""));
}

bool LockService::identifies_vehicle(VehicleStore& vehicles, const LockRecord& lock,
                                     const std::string& kind, const std::string& value) {
  const auto parsed = identifier_kind_from(kind);
  if (!parsed) return false;
  if (*parsed == IdentifierKind::Vin) return match_key(IdentifierKind::Vin, value) == lock.vin;
  const auto vehicle = vehicles.find_registration(lock.vin, lock.owner_id);
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
  DataTransferResult result;
  WriteBatch alone = WriteBatch::alone();
  try {
    within(alone,
           [&](WriteBatch& batch) { result = vehicle_locked(batch, charge_point_id, data); });
    return result;
  } catch (const DatabaseError& error) {
    // E.g. two piles' first reports of one lock at once: each took the
    // lock row's key share with its sighting, then both want it for update
    // (a deadlock PostgreSQL ends by failing one). Nothing of that attempt
    // is kept; handled again with each write committing on its own.
    log(fmt::format("VehicleLocked from {}: handled again write by write after: {}",
                    charge_point_id, error.what()));
  }
  return vehicle_locked(alone, charge_point_id, data);
}

DataTransferResult LockService::vehicle_locked(WriteBatch& batch,
                                               const std::string& charge_point_id,
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
  const auto lock = locks(batch).find(report->lock_id);
  if (!lock || !active(*lock)) {
    log(fmt::format("VehicleLocked from {} rejected: lock {} is {}", charge_point_id,
                    report->lock_id, lock ? to_string(lock->status) : "unknown"));
    return rejected;
  }
  // Only a pile this lock was sent to may report it, and only with one of
  // the locked vehicle's own identifiers: any pile in scope learns the lock
  // id, so the id alone proves nothing.
  if (!locks(batch).pile(lock->id, charge_point_id)) {
    log(fmt::format("VehicleLocked from {} rejected: lock {} was never sent to it", charge_point_id,
                    lock->id));
    return rejected;
  }
  if (!identifies_vehicle(batch.store(&Stores::vehicles, vehicles_), *lock, report->matched_kind,
                          report->matched_value)) {
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
  const Sighting seen = record_sighting(batch, *lock, sighting);

  // The lock records where the vehicle is held: the first catch, or a hold
  // after catches without one. Any other report is a sighting only (the
  // car was moved, or seen at a second pile): the vehicle is not lost.
  const bool takes_the_lock =
      lock->status != LockStatus::Engaged || (!held(*lock) && (report->held || same_place));
  if (!takes_the_lock) {
    notify_sighted(batch, *lock, seen);
    return accepted;
  }
  LockUpdate update;
  update.lock_id = lock->id;
  update.from = {LockStatus::Requested, LockStatus::Armed, LockStatus::Engaged};
  update.to = LockStatus::Engaged;
  update.cause =
      fmt::format("VehicleLocked: {} at {} ({} {})", report->held ? "held" : "seen, not held", at,
                  report->matched_kind, report->matched_value);
  if (lock->status == LockStatus::Engaged) update.cause += " after a catch without hold";
  update.charge_point_id = charge_point_id;
  update.connector_id = report->connector_id;
  update.matched_kind = report->matched_kind;
  update.matched_value = report->matched_value;
  update.engaged_without_hold = !report->held;
  update.engaged_at = time_.now();
  const auto engaged = locks(batch).update(update);
  if (!engaged) {
    log(fmt::format("VehicleLocked from {}: lock {} ended meanwhile (sighting kept)", at,
                    lock->id));
    return accepted;
  }
  notify_caught(batch, *engaged, seen);
  return accepted;
}

std::optional<AuthorizationStatus> LockService::check(const AuthorizationContext& context,
                                                      const std::string& id_tag) {
  WriteBatch batch = WriteBatch::alone();              // each write commits on its own
  if (!context.check_concurrent) return std::nullopt;  // StopTransaction
  IdentifierProbe probe;
  probe.id_tag = id_tag;
  probe.evcc_key = evcc_match_key(id_tag);
  probe.vin = match_key(IdentifierKind::Vin, id_tag);
  const auto lock = locks(batch).active_for_identifier(probe);
  if (!lock) return std::nullopt;

  // Which of the vehicle's identifiers the pile sent.
  const char* kind = to_string(IdentifierKind::IdTag);
  if (const auto vehicle = vehicle_of(batch, *lock)) {
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
  const Sighting seen = record_sighting(batch, *lock, sighting);

  if (lock->status != LockStatus::Engaged) {
    LockUpdate update;
    update.lock_id = lock->id;
    update.from = {LockStatus::Requested, LockStatus::Armed};
    update.to = LockStatus::Engaged;
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
    if (auto engaged = locks(batch).update(update)) notify_caught(batch, *engaged, seen);
  } else {
    log(fmt::format("{} of locked vehicle {} answered Blocked at {}", id_tag, lock->vin,
                    where(context.charge_point_id, context.connector_id)));
    notify_sighted(batch, *lock, seen);
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

Sighting LockService::record_sighting(WriteBatch& batch, const LockRecord& lock,
                                      const NewSighting& sighting) {
  Sighting seen = locks(batch).add_sighting(sighting);
  log(fmt::format("lock {}: vehicle {} sighted at {} ({}, {})", lock.id, lock.vin,
                  where(seen.charge_point_id, seen.connector_id), seen.source,
                  seen.held ? "held" : "not held"));
  return seen;
}

}  // namespace chargelock::core
