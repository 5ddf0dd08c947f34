// In-memory snapshot of every charge point's access data, and the websocket
// upgrade decision (SPEC §3, §6).
//
// Threading contract: decide() and find() are called on the websocket loop
// thread and never touch the database: they read an immutable snapshot
// under a lock held only to copy a shared_ptr. reload() reads the store and
// must run on a worker thread; put()/erase() update the snapshot at once
// (after a registration) without a reload. All methods are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/stores/charge_point_store.h"

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
};

class ChargePointDirectory {
 public:
  // `auto_register`: unknown ids are accepted (they get registered as
  // Pending with profile 1 when they boot, see ChargePointService).
  // `allow_unauthenticated`: piles registered without a password may
  // connect (profiles 1, 2) without credentials; off, they are refused, so
  // an id alone never opens a session (--allow-unauthenticated-piles).
  ChargePointDirectory(ChargePointStore& store, bool auto_register,
                       bool allow_unauthenticated = false);

  // Replaces the snapshot with the store's current content. Blocks on the
  // database. Throws DatabaseError (the old snapshot stays).
  void reload();

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
  // Successful password checks are cached, so reconnect storms do not redo
  // PBKDF2; the cache entry dies with a password change.
  AccessDecision decide(const AccessAttempt& attempt) const;

 private:
  using Snapshot = std::unordered_map<std::string, ChargePointAccess>;
  std::shared_ptr<const Snapshot> snapshot() const;
  bool password_ok(const ChargePointAccess& access, const std::string& user,
                   const std::string& password) const;

  ChargePointStore& store_;
  const bool auto_register_;
  const bool allow_unauthenticated_;

  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const Snapshot> snapshot_;

  static constexpr std::size_t kMaxCachedVerifications = 100000;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_set<std::string> verified_;  // SHA-256(id, password, hash)
  // Wrong passwords per charge point id: at most kMaxFailuresPerWindow
  // PBKDF2 checks that fail per kFailureWindow; further attempts in the
  // window are refused without hashing (they would block the loop).
  static constexpr int kMaxFailuresPerWindow = 5;
  static constexpr std::chrono::seconds kFailureWindow{30};
  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point window_start;
  };
  mutable std::unordered_map<std::string, Failures> failures_;
};

}  // namespace chargelock::core
