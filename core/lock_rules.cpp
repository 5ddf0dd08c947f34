#include "core/lock_rules.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/ids.h"
#include "core/lock_codec.h"
#include "core/log.h"

namespace chargelock::core::lock_rules {

std::string new_lock_id() { return base::random_uuid_v4(); }

std::string origin_of(const LockRecord& lock) { return kOriginPrefix + lock.id; }

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

bool held(const LockRecord& lock) {
  return lock.status == LockStatus::Engaged && !lock.engaged_without_hold;
}

bool active(const LockRecord& lock) {
  return lock.status == LockStatus::Requested || lock.status == LockStatus::Armed ||
         lock.status == LockStatus::Engaged;
}

void log(const std::string& text) { core::log(LogLevel::Info, "lock", "lock: " + text); }

std::optional<std::pair<PileStatus, std::string>> derived_state(const LockPile& pile) {
  if (!pile.command_status) return std::nullopt;
  if (*pile.command_status == CommandStatus::Completed) {
    const auto status = pile.command_response_json
                            ? lock_codec::status_of(*pile.command_response_json)
                            : std::nullopt;
    if (status == std::optional<std::string>("Accepted"))
      return std::make_pair(PileStatus::Armed, std::string("Accepted"));
    return std::make_pair(PileStatus::Unsupported, status.value_or("unreadable answer"));
  }
  if (*pile.command_status == CommandStatus::Failed && pile.command_error_code &&
      (*pile.command_error_code == "NotImplemented" || *pile.command_error_code == "NotSupported"))
    return std::make_pair(PileStatus::Unsupported, *pile.command_error_code);
  return std::nullopt;
}

bool answered_unsupported(const LockPile& pile) {
  const auto derived = derived_state(pile);
  return derived && derived->first == PileStatus::Unsupported;
}

bool unsupported_error(const std::optional<std::string>& code) {
  return code == std::optional<std::string>("NotImplemented") ||
         code == std::optional<std::string>("NotSupported");
}

std::chrono::seconds backoff(int attempts) {
  return std::min(std::chrono::seconds(10 << std::clamp(attempts, 0, 6)),
                  std::chrono::seconds(600));
}

namespace {

PileStep record(PileStatus status, const std::string& detail) {
  return {PileStep::Record, status, detail};
}

}  // namespace

PileStep next_step(bool lock_active, const LockPile& pile, Timestamp now) {
  if (pile.status != PileStatus::Pending && pile.status != PileStatus::Armed) return {};
  const auto retry = [&](PileStep::Kind again) {
    if (!pile.retry_at) return PileStep{PileStep::RetryLater, {}, {}};
    return *pile.retry_at <= now ? PileStep{again, {}, {}} : PileStep{};
  };
  // After the release: the pile's answer to UnlockVehicle decides.
  if (pile.unlock_command_id) {
    const auto& u = pile.unlock_status;
    if (!u || *u == CommandStatus::Timeout || *u == CommandStatus::Expired)
      return {PileStep::UnlockAgain, {}, {}};
    if (*u == CommandStatus::Completed) {
      const auto answer = pile.unlock_response_json
                              ? lock_codec::status_of(*pile.unlock_response_json)
                              : std::nullopt;
      // Rejected: the pile holds nothing for this lock (e.g. it rebooted).
      return record(PileStatus::Disarmed, answer.value_or("unreadable answer"));
    }
    if (*u == CommandStatus::Failed) {
      if (unsupported_error(pile.unlock_error_code))
        return record(PileStatus::Disarmed, *pile.unlock_error_code);
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
  if (!c || *c == CommandStatus::Timeout || *c == CommandStatus::Expired)
    return {PileStep::RearmNow, {}, {}};
  if (*c == CommandStatus::Failed)
    return retry(PileStep::RearmNow);  // not NotImplemented: derived above
  return {};
}

LockPileChange change_of(const LockPile& pile) {
  LockPileChange change;
  change.next = pile;
  change.expected_status = pile.status;
  change.expected_command_id = pile.command_id;
  change.expected_unlock_command_id = pile.unlock_command_id;
  return change;
}

std::string where(const std::string& charge_point_id, std::optional<int> connector_id) {
  if (!connector_id) return charge_point_id;
  return fmt::format("{} connector {}", charge_point_id, *connector_id);
}

}  // namespace chargelock::core::lock_rules
