// Request rate per API token (SPEC §7 "Limits"): a token bucket per token,
// `rate` requests per second on average with bursts of up to `burst`. A
// request beyond it is refused (the router answers 429 with Retry-After), so
// one token — leaked, or a client in a retry loop — cannot take the workers
// and the database from everyone else.
//
// Memory stays bounded by the tokens active lately: a bucket that has had
// time to fill up again is the same as no bucket, so idle ones are dropped.
//
// Threading: admit() is thread-safe (one mutex; the work under it is a few
// arithmetic operations).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace chargelock::api {

struct TokenRateLimit {
  double rate = 50;    // requests per second, sustained; 0 turns the limit off
  double burst = 100;  // requests at once after a quiet spell
};

class TokenRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TokenRateLimiter(TokenRateLimit limit);

  struct Verdict {
    bool admitted = true;
    // Refused: whole seconds until a request of this token is admitted again
    // (at least 1), for Retry-After. Also whether this refusal should be
    // logged (the first of a run of refusals, then at most once a minute per
    // token, so a flood cannot flood the log too).
    int retry_after_s = 0;
    bool log = false;
  };
  Verdict admit(std::int64_t token_id, Clock::time_point now = Clock::now());

  const TokenRateLimit& limit() const { return limit_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
    Clock::time_point last_logged;
    bool refusing = false;
  };
  void drop_idle(Clock::time_point now);

  const TokenRateLimit limit_;
  std::mutex mutex_;
  std::unordered_map<std::int64_t, Bucket> buckets_;
  Clock::time_point next_sweep_;
};

}  // namespace chargelock::api
