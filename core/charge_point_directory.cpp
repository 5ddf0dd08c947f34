#include "core/charge_point_directory.h"

#include "core/digest.h"
#include "core/password_hash.h"

namespace chargelock::core {

ChargePointDirectory::ChargePointDirectory(ChargePointStore& store, bool auto_register,
                                           bool allow_unauthenticated, const SecretBox& secrets)
    : store_(store),
      auto_register_(auto_register),
      allow_unauthenticated_(allow_unauthenticated),
      dummy_hash_(hash_password(random_hex(16))),
      snapshot_(std::make_shared<const Snapshot>()),
      verified_(secrets) {}

void ChargePointDirectory::reload() {
  auto fresh = std::make_shared<Snapshot>();
  for (auto& access : store_.list_access()) {
    std::string id = access.id;
    fresh->emplace(std::move(id), std::move(access));
  }
  if (verified_.persistent()) {
    const Timestamp now = Clock::now();
    verified_.merge(store_.list_verified_credentials(now - VerifiedCredentials::kLifetime), now);
  }
  std::shared_ptr<const Snapshot> old;
  {
    base::MutexLock lock(snapshot_mutex_);
    old = std::move(snapshot_);
    snapshot_ = fresh;
  }
  // Failures counted while an id was unknown here (a pile registered on
  // another process that tried before this refresh) do not lock it out.
  base::MutexLock lock(failures_mutex_);
  if (failures_.empty()) return;
  for (const auto& [id, access] : *fresh)
    if (old->count(id) == 0) failures_.erase(id);
}

void ChargePointDirectory::save_verified() {
  if (!verified_.persistent()) return;
  store_.put_verified_credentials(verified_.take_unsaved());
}

void ChargePointDirectory::put(const ChargePointAccess& access) {
  {
    base::MutexLock lock(failures_mutex_);
    failures_.erase(access.id);  // counted while it was unknown, or for an old password
  }
  base::MutexLock lock(snapshot_mutex_);
  auto copy = std::make_shared<Snapshot>(*snapshot_);
  (*copy)[access.id] = access;
  snapshot_ = std::move(copy);
}

void ChargePointDirectory::erase(const std::string& charge_point_id) {
  base::MutexLock lock(snapshot_mutex_);
  auto copy = std::make_shared<Snapshot>(*snapshot_);
  copy->erase(charge_point_id);
  snapshot_ = std::move(copy);
}

void ChargePointDirectory::set_password_hash(const std::string& charge_point_id,
                                             const std::string& password_hash) {
  base::MutexLock lock(snapshot_mutex_);
  const auto it = snapshot_->find(charge_point_id);
  if (it == snapshot_->end()) return;  // unknown here: the next reload brings it
  auto copy = std::make_shared<Snapshot>(*snapshot_);
  (*copy)[charge_point_id].password_hash = password_hash;
  snapshot_ = std::move(copy);
}

std::shared_ptr<const ChargePointDirectory::Snapshot> ChargePointDirectory::snapshot() const {
  base::MutexLock lock(snapshot_mutex_);
  return snapshot_;
}

std::optional<ChargePointAccess> ChargePointDirectory::find(const std::string& id) const {
  const auto snap = snapshot();
  const auto it = snap->find(id);
  if (it == snap->end()) return std::nullopt;
  return it->second;
}

std::size_t ChargePointDirectory::size() const { return snapshot()->size(); }

bool ChargePointDirectory::too_many_failures(const std::string& charge_point_id) const {
  base::MutexLock lock(failures_mutex_);
  const auto failures = failures_.find(charge_point_id);
  if (failures == failures_.end()) return false;
  if (std::chrono::steady_clock::now() - failures->second.window_start > kFailureWindow) {
    failures_.erase(failures);
    return false;
  }
  return failures->second.count >= kMaxFailuresPerWindow;
}

void ChargePointDirectory::note_failure(const std::string& charge_point_id) const {
  const auto now = std::chrono::steady_clock::now();
  base::MutexLock lock(failures_mutex_);
  if (failures_.size() >= kMaxTrackedFailures) failures_.clear();
  auto& failures = failures_[charge_point_id];
  if (failures.count == 0 || now - failures.window_start > kFailureWindow) {
    failures.count = 0;
    failures.window_start = now;
  }
  ++failures.count;
}

AccessDecision ChargePointDirectory::apply_rules(const ChargePointAccess& access,
                                                 const AccessAttempt& attempt,
                                                 bool password_matches) const {
  const bool has_basic = attempt.basic_user.has_value() && attempt.basic_password.has_value();
  switch (access.security_profile) {
    case 1:
      if (attempt.tls) return AccessDecision::Unauthorized;  // profile 1 is ws:// only
      break;
    case 2:
      if (!attempt.tls) return AccessDecision::Unauthorized;
      break;
    case 3:
      if (!attempt.tls || !attempt.client_cert_cn ||
          *attempt.client_cert_cn != attempt.charge_point_id)
        return AccessDecision::Unauthorized;
      // Basic auth is optional on top of the certificate (the credential).
      if (!has_basic || !access.password_hash) return AccessDecision::Accept;
      break;
    default:
      return AccessDecision::Unauthorized;
  }
  if (!access.password_hash)
    return allow_unauthenticated_ || auto_register_ ? AccessDecision::Accept
                                                    : AccessDecision::Unauthorized;
  if (!has_basic || *attempt.basic_user != access.id) return AccessDecision::Unauthorized;
  return password_matches ? AccessDecision::Accept : AccessDecision::Unauthorized;
}

AccessDecision ChargePointDirectory::decide(const AccessAttempt& attempt) const {
  const auto access = find(attempt.charge_point_id);
  const bool has_basic = attempt.basic_user.has_value() && attempt.basic_password.has_value();
  // SPEC §3: an unknown id is refused at the upgrade (401), with or without
  // credentials; nothing to hash. (A pile registered on another process is
  // known here after the next directory refresh; until then it retries.)
  if (!access) return auto_register_ ? AccessDecision::Accept : AccessDecision::UnknownId;
  // Without a password there is nothing to hash: the rules decide now.
  if (!has_basic || !access->password_hash) return apply_rules(*access, attempt, false);
  if (*attempt.basic_user == access->id &&
      verified_.contains(access->id,
                         verified_.mac(access->id, *attempt.basic_password, *access->password_hash),
                         Clock::now()))
    return apply_rules(*access, attempt, true);
  if (too_many_failures(access->id)) return AccessDecision::Unauthorized;
  return AccessDecision::Verify;
}

AccessDecision ChargePointDirectory::verify(const AccessAttempt& attempt) const {
  const auto access = find(attempt.charge_point_id);
  const bool has_basic = attempt.basic_user.has_value() && attempt.basic_password.has_value();
  const bool has_hash = access && access->password_hash;
  // Verified meanwhile (the pile reconnected while its first check waited
  // in the queue): no second PBKDF2 run for the same password.
  if (has_hash && has_basic && *attempt.basic_user == access->id &&
      verified_.contains(access->id,
                         verified_.mac(access->id, *attempt.basic_password, *access->password_hash),
                         Clock::now()))
    return apply_rules(*access, attempt, true);
  // One PBKDF2 run whatever the outcome will be: the time of a refusal
  // does not tell whether the id exists or has a password.
  const bool matches = verify_password(has_basic ? *attempt.basic_password : std::string_view{},
                                       has_hash ? *access->password_hash : dummy_hash_) &&
                       has_hash && has_basic && *attempt.basic_user == access->id;
  if (!access) {
    if (auto_register_) return AccessDecision::Accept;
    note_failure(attempt.charge_point_id);
    return AccessDecision::UnknownId;
  }
  const AccessDecision decision = apply_rules(*access, attempt, matches);
  if (decision != AccessDecision::Accept) {
    note_failure(access->id);
  } else if (matches) {
    {
      base::MutexLock lock(failures_mutex_);
      failures_.erase(access->id);
    }
    verified_.remember(access->id,
                       verified_.mac(access->id, *attempt.basic_password, *access->password_hash),
                       Clock::now());
  }
  return decision;
}

}  // namespace chargelock::core
