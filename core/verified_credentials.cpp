#include "core/verified_credentials.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "core/digest.h"

namespace chargelock::core {

namespace {
// Names what K is for, so the same secret key never yields this key for
// another purpose.
constexpr std::string_view kPurpose = "chargelock verified pile credentials v1";
}  // namespace

VerifiedCredentials::VerifiedCredentials(const SecretBox& secrets) {
  if (auto derived = secrets.derive_key(kPurpose)) {
    key_ = *derived;
    persistent_ = true;
  } else if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

std::string VerifiedCredentials::mac(std::string_view charge_point_id, std::string_view password,
                                     std::string_view password_hash) const {
  // Length-prefixed, so ("ab","c") and ("a","bc") differ.
  std::string input;
  input.reserve(charge_point_id.size() + password.size() + password_hash.size() + 16);
  for (std::string_view part : {charge_point_id, password, password_hash}) {
    input += std::to_string(part.size());
    input += ':';
    input += part;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const bool ok = HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest,
                       &size) != nullptr;
  OPENSSL_cleanse(input.data(), input.size());
  if (!ok) throw std::runtime_error("HMAC-SHA256 failed");
  return hex(digest, size);
}

bool VerifiedCredentials::contains(const std::string& charge_point_id, const std::string& mac,
                                   Timestamp now) const {
  base::MutexLock lock(mutex_);
  const auto it = entries_.find(charge_point_id);
  if (it == entries_.end() || now - it->second.verified_at >= kLifetime) return false;
  return it->second.mac.size() == mac.size() &&
         CRYPTO_memcmp(it->second.mac.data(), mac.data(), mac.size()) == 0;
}

void VerifiedCredentials::remember(const std::string& charge_point_id, std::string mac,
                                   Timestamp verified_at) {
  base::MutexLock lock(mutex_);
  if (persistent_ && unsaved_.size() < kMaxUnsaved)
    unsaved_.push_back({charge_point_id, mac, verified_at});
  entries_[charge_point_id] = Entry{std::move(mac), verified_at};
}

std::vector<VerifiedCredential> VerifiedCredentials::take_unsaved() {
  base::MutexLock lock(mutex_);
  std::vector<VerifiedCredential> out;
  out.swap(unsaved_);
  return out;
}

void VerifiedCredentials::merge(const std::vector<VerifiedCredential>& stored, Timestamp now) {
  base::MutexLock lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.verified_at >= kLifetime)
      it = entries_.erase(it);
    else
      ++it;
  }
  for (const auto& row : stored) {
    if (now - row.verified_at >= kLifetime) continue;
    auto& entry = entries_[row.charge_point_id];
    if (entry.mac.empty() || entry.verified_at < row.verified_at)
      entry = Entry{row.mac, row.verified_at};
  }
}

std::size_t VerifiedCredentials::size() const {
  base::MutexLock lock(mutex_);
  return entries_.size();
}

}  // namespace chargelock::core
