// The API tokens this process verified a moment ago, so that a request with
// a token used recently skips the database round trip of the token check
// (docs/architecture.md, "The verified-token cache").
//
// Why a revoked token is never accepted once its revocation was answered:
// - Changes are heard: a trigger signals every change of a token row at its
//   commit (migration 0015: revocation, role or VINs changed, deletion,
//   whoever makes it), and changed() drops the token the moment the signal
//   is read (ApiTokenSignals, a LISTEN connection of its own, on
//   TokenChangeListener's thread). Typically well under a millisecond after
//   the commit.
// - Nothing is served on an old confirmation: the listener makes a round
//   trip on its connection every quarter second, and an entry is served
//   only within `lease` (1 s) of when the latest answered round trip was
//   sent. Whatever committed before that moment had been handed over
//   (PostgreSQL sends a session's pending signals before it answers). So a
//   change committed at time c is either heard (a round trip sent after c
//   was answered) or nothing is served after c + lease: revoke() answers
//   only `lease` after its commit (TokenService::revoke), by when the token
//   is refused by every API process, however starved or cut off it is.
// - Nothing arrived but not handed over is ignored: an entry is not served
//   while the channel has unread bytes or unsettled payloads (`unsettled`).
// - A lost channel drops everything, and until it answers again (after a
//   new LISTEN) nothing is kept or served. A verification that overlaps a
//   change, a loss or a recovery is not kept (generation()).
// - An entry lives at most `ttl`, and is keyed by the token's SHA-256 (the
//   hash the database keeps, TokenService::hash), never the token.
//
// Times are on a monotonic clock (a wall-clock step must not stretch a
// lease), injectable for tests.
//
// Thread contract: every member is safe from any thread (find(),
// generation() and remember() run on API workers, changed(), confirmed()
// and lost() on the listener's thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "core/stores/api_token_store.h"
#include "core/token_service.h"

namespace chargelock::core {

struct VerifiedTokenLimits {
  std::chrono::milliseconds ttl{10000};   // the longest an entry is served
  std::chrono::milliseconds lease{1000};  // the longest a round trip's confirmation holds
  std::size_t capacity = 10000;           // entries; the soonest to expire go first beyond
};

class VerifiedTokenCache {
 public:
  using Instant = std::chrono::steady_clock::time_point;
  using Clock = std::function<Instant()>;

  // `unsettled`: whether the channel has something not yet handed to
  // changed() (ApiTokenSignals::unsettled); asked before serving an entry.
  VerifiedTokenCache(
      std::function<bool()> unsettled, VerifiedTokenLimits limits = {},
      Clock clock = [] { return std::chrono::steady_clock::now(); });
  VerifiedTokenCache(const VerifiedTokenCache&) = delete;
  VerifiedTokenCache& operator=(const VerifiedTokenCache&) = delete;

  // The principal verified for `key` (the token's hash), when it may be
  // served now.
  std::optional<Principal> find(const std::string& key) const;
  // Read before asking the database; handed back to remember().
  std::uint64_t generation() const;
  // Keeps a principal the database just verified, unless anything changed
  // since `generation` or the channel is not live.
  void remember(const std::string& key, const Principal& principal, std::uint64_t generation);

  // The listener's side: a change heard (its token, or every token, dropped;
  // a revocation's own process calls it too, before the signal comes back),
  // the channel confirmed by a round trip sent after `sent_after`, or lost.
  void changed(const ApiTokenChange& change);
  void confirmed(Instant sent_after);
  void lost();

  Instant now() const { return clock_(); }
  const VerifiedTokenLimits& limits() const { return limits_; }
  std::size_t size() const;

 private:
  struct Entry {
    Principal principal;
    Instant expires;
  };
  bool live(Instant now) const REQUIRES(mutex_);
  void drop_all() REQUIRES(mutex_);

  const std::function<bool()> unsettled_;
  const VerifiedTokenLimits limits_;
  const Clock clock_;
  mutable base::Mutex mutex_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mutex_);
  std::uint64_t generation_ GUARDED_BY(mutex_) = 0;
  bool connected_ GUARDED_BY(mutex_) = false;  // confirmed since the last loss
  Instant live_until_ GUARDED_BY(mutex_);
};

}  // namespace chargelock::core
