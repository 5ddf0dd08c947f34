// What owners and operators are told: the notification JSON of state
// changes, catches and sightings.
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
  body.add("lockId", lock.id)
      .add("vin", lock.vin)
      .add("status", to_string(lock.status))
      .add("cause", detail);
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
  body.add("lockId", lock.id).add("vin", lock.vin).add("status", to_string(lock.status));
  add_sighting(body, seen);
  body.add("engagedWithoutHold", lock.engaged_without_hold);
  if (lock.engaged_at) body.add("engagedAt", format_rfc3339(lock.engaged_at.value()));
  body.add("message", sighting_message(seen));
  notify(lock, notification_kind::kVehicleCaught, body.str());
  notify_operators(lock, notification_kind::kVehicleCaught, seen);
}

void LockService::notify_sighted(const LockRecord& lock, const Sighting& seen) {
  lock_codec::ObjectWriter body;
  body.add("lockId", lock.id).add("vin", lock.vin).add("status", to_string(lock.status));
  add_sighting(body, seen);
  body.add("message", sighting_message(seen));
  notify(lock, notification_kind::kVehicleSighted, body.str());
  notify_operators(lock, notification_kind::kVehicleSighted, seen);
}

void LockService::notify_operators(const LockRecord& lock, const char* kind, const Sighting& seen) {
  // The network operations centre dispatches staff or police: it gets every
  // catch and sighting, with the police case reference.
  lock_codec::ObjectWriter body;
  body.add("lockId", lock.id).add("vin", lock.vin).add("status", to_string(lock.status));
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
