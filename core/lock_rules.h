// The rules every part of the lock service shares (lock_service.cpp: the
// state machine; lock_fanout.cpp: arming and disarming the piles;
// lock_extension.cpp: the extension points; lock_notifications.cpp: what
// owners and operators are told): what a pile's command outcomes make of
// it (next_step, the one derived-state rule), the lock's commands and its
// active/held predicates. Internal to core.
//
// Threading: pure functions, callable from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "core/command_service.h"
#include "core/stores/lock_store.h"
#include "core/timestamp.h"

namespace chargelock::core::lock_rules {

inline constexpr double kEarthRadiusKm = 6371.0088;
inline constexpr double kMaxRadiusKm = 20038;  // half the equator: every point
inline constexpr const char* kOriginPrefix = "lock:";
// A lock's commands wait for an offline pile as long as a lock may live:
// the arming (and the disarming) of a pile must never lapse by itself.
inline constexpr std::chrono::seconds kLockCommandLifetime{366 * 24 * 3600};  // the queue's maximum

// Unguessable: a lock id names the lock in URLs.
std::string new_lock_id();
std::string origin_of(const LockRecord& lock);
// A command the lock sends to a pile (its origin ties the outcome to the lock).
CommandRequest lock_command(const LockRecord& lock, const std::string& charge_point_id,
                            const std::string& action, const std::string& payload);
// A held vehicle: engaged at a connector that holds it.
bool held(const LockRecord& lock);
// Requested, armed or engaged.
bool active(const LockRecord& lock);
void log(const std::string& text);

// The state a pile's LockVehicle answer gives it, with the detail; nothing
// while no definitive answer came (queued, sent, timed out, other errors).
std::optional<std::pair<PileStatus, std::string>> derived_state(const LockPile& pile);
// Whether the pile's LockVehicle answer (derived_state) makes it unsupported.
bool answered_unsupported(const LockPile& pile);
bool unsupported_error(const std::optional<std::string>& code);
// A failed delivery is sent again after 10 s, 20 s, 40 s ... at most 10 min:
// a pile that answers InternalError while busy is not flooded, and never
// given up on.
std::chrono::seconds backoff(int attempts);

// What a pile's commands' outcomes call for: the one rule for every path
// (an answer, the sweep, a release).
struct PileStep {
  enum Kind { None, Record, RearmNow, RetryLater, UnlockAgain } kind = None;
  PileStatus status = PileStatus::Pending;  // Record
  std::string detail;                       // Record
};
PileStep next_step(bool lock_active, const LockPile& pile, Timestamp now);

// A change of the pile's row (next: the row as read, to be edited) that
// applies only while the row is still as read.
LockPileChange change_of(const LockPile& pile);

// "CP-1" or "CP-1 connector 2".
std::string where(const std::string& charge_point_id, std::optional<int> connector_id);

}  // namespace chargelock::core::lock_rules
