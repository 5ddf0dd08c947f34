#include "core/charge_point_directory.h"

#include <openssl/evp.h>

#include "core/password_hash.h"

namespace chargelock::core {

namespace {

// SHA-256 over length-prefixed parts, so ("ab","c") and ("a","bc") differ.
std::string cache_key(const std::string& id, const std::string& password, const std::string& hash) {
  std::string input;
  for (const std::string* part : {&id, &password, &hash}) {
    input += std::to_string(part->size());
    input += ':';
    input += *part;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(digest), size);
}

}  // namespace

ChargePointDirectory::ChargePointDirectory(ChargePointStore& store, bool auto_register,
                                           bool allow_unauthenticated)
    : store_(store),
      auto_register_(auto_register),
      allow_unauthenticated_(allow_unauthenticated),
      snapshot_(std::make_shared<const Snapshot>()) {}

void ChargePointDirectory::reload() {
  auto fresh = std::make_shared<Snapshot>();
  for (auto& access : store_.list_access()) {
    std::string id = access.id;
    fresh->emplace(std::move(id), std::move(access));
  }
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  snapshot_ = std::move(fresh);
}

void ChargePointDirectory::put(const ChargePointAccess& access) {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  auto copy = std::make_shared<Snapshot>(*snapshot_);
  (*copy)[access.id] = access;
  snapshot_ = std::move(copy);
}

void ChargePointDirectory::erase(const std::string& charge_point_id) {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  auto copy = std::make_shared<Snapshot>(*snapshot_);
  copy->erase(charge_point_id);
  snapshot_ = std::move(copy);
}

void ChargePointDirectory::set_password_hash(const std::string& charge_point_id,
                                             const std::string& password_hash) {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  const auto it = snapshot_->find(charge_point_id);
  if (it == snapshot_->end()) return;  // unknown here: the next reload brings it
  auto copy = std::make_shared<Snapshot>(*snapshot_);
  (*copy)[charge_point_id].password_hash = password_hash;
  snapshot_ = std::move(copy);
}

std::shared_ptr<const ChargePointDirectory::Snapshot> ChargePointDirectory::snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  return snapshot_;
}

std::optional<ChargePointAccess> ChargePointDirectory::find(const std::string& id) const {
  const auto snap = snapshot();
  const auto it = snap->find(id);
  if (it == snap->end()) return std::nullopt;
  return it->second;
}

std::size_t ChargePointDirectory::size() const { return snapshot()->size(); }

bool ChargePointDirectory::password_ok(const ChargePointAccess& access, const std::string& user,
                                       const std::string& password) const {
  if (!access.password_hash) return true;  // registered without a password
  if (user != access.id) return false;
  const std::string key = cache_key(access.id, password, *access.password_hash);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (!key.empty() && verified_.count(key)) return true;
    // PBKDF2 is deliberately slow and runs on the websocket loop: after a
    // few wrong passwords for one id, refuse without hashing until the
    // window ends, so guessing cannot stall every other pile of the node.
    auto failures = failures_.find(access.id);
    if (failures != failures_.end()) {
      if (now - failures->second.window_start > kFailureWindow)
        failures_.erase(failures);
      else if (failures->second.count >= kMaxFailuresPerWindow)
        return false;
    }
  }
  if (!verify_password(password, *access.password_hash)) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (failures_.size() >= kMaxCachedVerifications) failures_.clear();
    auto& failures = failures_[access.id];
    if (failures.count == 0) failures.window_start = now;
    ++failures.count;
    return false;
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  failures_.erase(access.id);
  if (verified_.size() >= kMaxCachedVerifications) verified_.clear();
  if (!key.empty()) verified_.insert(key);
  return true;
}

AccessDecision ChargePointDirectory::decide(const AccessAttempt& attempt) const {
  const auto access = find(attempt.charge_point_id);
  if (!access) return auto_register_ ? AccessDecision::Accept : AccessDecision::UnknownId;

  const bool has_basic = attempt.basic_user.has_value() && attempt.basic_password.has_value();
  switch (access->security_profile) {
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
      if (!has_basic || !access->password_hash) return AccessDecision::Accept;
      break;
    default:
      return AccessDecision::Unauthorized;
  }
  if (!access->password_hash)
    return allow_unauthenticated_ || auto_register_ ? AccessDecision::Accept
                                                    : AccessDecision::Unauthorized;
  if (!has_basic) return AccessDecision::Unauthorized;
  return password_ok(*access, *attempt.basic_user, *attempt.basic_password)
             ? AccessDecision::Accept
             : AccessDecision::Unauthorized;
}

}  // namespace chargelock::core
