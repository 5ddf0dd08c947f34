// In-memory snapshot of every charge point's access data, and the websocket
// upgrade decision (SPEC §3, §6).
//
// Threading contract: decide() and find() are called on the websocket loop
// thread and never touch the database nor hash a password: they read an
// immutable snapshot under a lock held only to copy a shared_ptr, and the
// verified-credentials cache (one HMAC). verify() runs PBKDF2 and must run
// off the loop (a verification worker). reload() and save_verified() use
// the store and must run on a worker thread; put()/erase() update the
// snapshot at once (after a registration) without a reload. All methods
// are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "core/secret_box.h"
#include "core/stores/charge_point_store.h"
#include "core/verified_credentials.h"

namespace chargelock::core {

struct AccessAttempt {
  std::string charge_point_id;
  bool tls = false;  // arrived on the wss:// listener
  std::optional<std::string> basic_user;
  std::optional<std::string> basic_password;
  std::optional<std::string> client_cert_cn;  // CN of a client certificate that verified
};

enum class AccessDecision {
  Accept,
  Unauthorized,  // HTTP 401: wrong or missing credentials
  // HTTP 401 as well: an unknown id must get the same answer as a wrong
  // password, or ids could be enumerated. Kept apart only for the log.
  UnknownId,
  // Credentials came that only PBKDF2 can judge (not in the verified-
  // credentials cache): accept the upgrade provisionally, serve nothing,
  // and call verify() off the loop. Unknown ids with credentials get this
  // too, so a refusal takes the same time whether the id exists or not.
  Verify,
};

class ChargePointDirectory {
 public:
  // `auto_register`: unknown ids are accepted (they get registered as
  // Pending with profile 1 when they boot, see ChargePointService).
  // `allow_unauthenticated`: piles registered without a password may
  // connect (profiles 1, 2) without credentials; off, they are refused, so
  // an id alone never opens a session (--allow-unauthenticated-piles).
  // `secrets`: the operator's secret key, from which the verified-
  // credentials cache's key is derived (keyless: that cache is not stored).
  ChargePointDirectory(ChargePointStore& store, bool auto_register,
                       bool allow_unauthenticated = false, const SecretBox& secrets = SecretBox{});

  // Replaces the snapshot with the store's current content and merges the
  // stored verified credentials (other nodes', or from before a restart).
  // Blocks on the database. Throws DatabaseError (the old snapshot
  // stays).
  void reload();
  // Writes the credentials verified since the last call to the store, so
  // a restarted node finds them. Blocks on the database; a failure keeps
  // nothing back (those piles are hashed again after a restart).
  void save_verified();

  // Adds or replaces one entry / removes one, without a reload.
  void put(const ChargePointAccess& access);
  void erase(const std::string& charge_point_id);
  // A known pile's new password hash (an accepted AuthorizationKey), so
  // its next connect is checked against the new key without a reload.
  void set_password_hash(const std::string& charge_point_id, const std::string& password_hash);

  std::optional<ChargePointAccess> find(const std::string& charge_point_id) const;
  std::size_t size() const;
  bool auto_register() const { return auto_register_; }

  // The upgrade rules:
  //  - unknown id: UnknownId (answered like Unauthorized), or Accept when
  //    auto-registration is on;
  //  - profile 1: plain ws:// only; profile 2: wss:// only; profile 3:
  //    wss:// only with a verified client certificate whose CN is the id;
  //    a pile registered for 2/3 arriving on ws:// (a lower profile) or a
  //    profile-1 pile arriving on wss:// is Unauthorized;
  //  - profiles 1 and 2 need HTTP Basic auth with user == id and the
  //    registered password; a charge point registered without a password
  //    needs none only with allow_unauthenticated (or auto_register, whose
  //    piles are registered without one), else it is Unauthorized. For
  //    profile 3 Basic auth is optional, but when sent for
  //    a pile with a password it must be right;
  //  - a Rejected registration still connects (BootNotification answers
  //    Rejected).
  // Passwords: a password in the verified-credentials cache is decided at
  // once; any other attempt carrying Basic credentials (known id or not)
  // is Verify, unless its id had kMaxFailuresPerWindow wrong checks within
  // kFailureWindow (then refused at once, known id or not). Never hashes.
  AccessDecision decide(const AccessAttempt& attempt) const;

  // The same rules with the password checked by PBKDF2 (against a dummy
  // hash of the same cost when the id is unknown or has no password, so
  // the time does not tell). A password that passes enters the cache.
  // Blocks for one PBKDF2 run: never on the websocket loop.
  AccessDecision verify(const AccessAttempt& attempt) const;

  std::size_t verified_count() const { return verified_.size(); }

 private:
  using Snapshot = std::unordered_map<std::string, ChargePointAccess>;
  std::shared_ptr<const Snapshot> snapshot() const EXCLUDES(snapshot_mutex_);
  // The upgrade rules, given whether the password matched.
  AccessDecision apply_rules(const ChargePointAccess& access, const AccessAttempt& attempt,
                             bool password_matches) const;
  bool too_many_failures(const std::string& charge_point_id) const EXCLUDES(failures_mutex_);
  void note_failure(const std::string& charge_point_id) const EXCLUDES(failures_mutex_);

  ChargePointStore& store_;
  const bool auto_register_;
  const bool allow_unauthenticated_;
  // What an unknown id's password is checked against (same cost as a
  // pile's hash at the default iteration count).
  const std::string dummy_hash_;

  mutable base::Mutex snapshot_mutex_;
  std::shared_ptr<const Snapshot> snapshot_ GUARDED_BY(snapshot_mutex_);

  mutable VerifiedCredentials verified_;

  static constexpr std::size_t kMaxTrackedFailures = 100000;
  // Wrong passwords per charge point id, known or not: at most
  // kMaxFailuresPerWindow PBKDF2 checks that fail per kFailureWindow;
  // further attempts in the window are refused without hashing.
  static constexpr int kMaxFailuresPerWindow = 5;
  static constexpr std::chrono::seconds kFailureWindow{30};
  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point window_start;
  };
  mutable base::Mutex failures_mutex_;
  mutable std::unordered_map<std::string, Failures> failures_ GUARDED_BY(failures_mutex_);
};

}  // namespace chargelock::core
