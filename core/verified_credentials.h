// The verified-credentials cache: pile passwords that passed the PBKDF2
// check in the last kLifetime, remembered as
//   HMAC-SHA256(K, id, password, password hash)
// where K is derived from the operator's secret key (CHARGELOCK_SECRET_KEY,
// core/secret_box.h). A connect whose HMAC matches is let in without
// PBKDF2: a few microseconds on the websocket loop instead of a slow hash
// per pile, so a reconnect storm after a restart costs no hashing at all.
//
// Why this stays secure (docs/security.md): the cache rows (in PostgreSQL,
// charge_point_verified_credentials, so a restarted node has them) are
// useless without K, which is never in the database: a stolen database or
// backup gives the PBKDF2 hashes and these HMACs, and testing a password
// guess against an HMAC needs K. Putting the password hash into the input
// makes an entry die with a password change; entries expire after
// kLifetime, so every password is checked with PBKDF2 at least that often.
// Without a secret key K is random per process and nothing is stored.
//
// Threading: every method is thread-safe (one mutex); contains() and
// mac() are cheap enough for the websocket loop.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "core/charge_point.h"
#include "core/secret_box.h"
#include "core/timestamp.h"

namespace chargelock::core {

class VerifiedCredentials {
 public:
  static constexpr std::chrono::hours kLifetime{24};

  // `secrets`: the operator's secret key, from which K is derived; keyless,
  // K is random and the cache lives in this process only.
  explicit VerifiedCredentials(const SecretBox& secrets);

  // Whether entries go to the database (a secret key was given).
  bool persistent() const { return persistent_; }

  // Lower-case hex HMAC-SHA256 under K of the length-prefixed parts.
  std::string mac(std::string_view charge_point_id, std::string_view password,
                  std::string_view password_hash) const;

  // True when `mac` is this pile's entry and younger than kLifetime at `now`.
  bool contains(const std::string& charge_point_id, const std::string& mac, Timestamp now) const;

  // A password that just passed PBKDF2 (replaces the pile's entry). Kept
  // for take_unsaved() when persistent.
  void remember(const std::string& charge_point_id, std::string mac, Timestamp verified_at);

  // Entries remembered since the last call, to be written to the store.
  std::vector<VerifiedCredential> take_unsaved();

  // Entries read from the store (other nodes, or before a restart): each
  // replaces an older entry of its pile. Expired entries are dropped.
  void merge(const std::vector<VerifiedCredential>& stored, Timestamp now);

  std::size_t size() const;

 private:
  struct Entry {
    std::string mac;
    Timestamp verified_at;
  };
  SecretBox::Key key_{};
  bool persistent_ = false;
  mutable base::Mutex mutex_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mutex_);
  std::vector<VerifiedCredential> unsaved_ GUARDED_BY(mutex_);
  static constexpr std::size_t kMaxUnsaved = 200000;
};

}  // namespace chargelock::core
