// A rate per key (SPEC §7 "Limits"): a token bucket per key, `rate` events
// per second on average with bursts of up to `burst`. Used for requests per
// API token (the router answers 429 with Retry-After: one token — leaked, or
// a client in a retry loop — cannot take the workers and the database from
// everyone else) and for connection attempts per source address on the OCPP
// listeners (503 at the upgrade: a reconnect loop cannot hold the loop).
//
// Memory stays bounded by the keys active lately: a bucket that has had
// time to fill up again is the same as no bucket, so idle ones are dropped.
//
// Threading: admit() is thread-safe (one mutex; the work under it is a few
// arithmetic operations).
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

#include "base/mutex.h"

namespace chargelock::core {

struct RateLimit {
  double rate = 50;    // events per second, sustained; 0 turns the limit off
  double burst = 100;  // events at once after a quiet spell
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit limit);

  struct Verdict {
    bool admitted = true;
    // Refused: whole seconds until an event of this key is admitted again
    // (at least 1), for Retry-After. Also whether this refusal should be
    // logged (the first of a run of refusals, then at most once a minute per
    // key, so a flood cannot flood the log too).
    int retry_after_s = 0;
    bool log = false;
  };
  Verdict admit(const std::string& key, Clock::time_point now = Clock::now()) EXCLUDES(mutex_);

  const RateLimit& limit() const { return limit_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
    Clock::time_point last_logged;
    bool refusing = false;
  };
  void drop_idle(Clock::time_point now) REQUIRES(mutex_);

  const RateLimit limit_;
  base::Mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_ GUARDED_BY(mutex_);
  Clock::time_point next_sweep_ GUARDED_BY(mutex_);
};

}  // namespace chargelock::core
