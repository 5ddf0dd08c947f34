// The per-token request rate (core/rate_limiter): a bucket per token.
#include <catch2/catch.hpp>

#include "core/rate_limiter.h"

using chargelock::core::RateLimit;
using chargelock::core::RateLimiter;
using namespace std::chrono_literals;

TEST_CASE("a token gets its burst, then its rate, other tokens are not affected") {
  RateLimiter limiter(RateLimit{2, 3});
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) CHECK(limiter.admit("1", t0).admitted);
  const auto refused = limiter.admit("1", t0);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.retry_after_s == 1);
  CHECK(refused.log);                              // the first refusal is logged
  CHECK_FALSE(limiter.admit("1", t0).log);         // the rest of the run is not
  CHECK(limiter.admit("2", t0).admitted);          // per token
  CHECK(limiter.admit("1", t0 + 500ms).admitted);  // 2/s: one more after half a second
  CHECK_FALSE(limiter.admit("1", t0 + 500ms).admitted);
  // A long pause refills up to the burst, not beyond.
  const auto later = t0 + 1h;
  for (int i = 0; i < 3; ++i) CHECK(limiter.admit("1", later).admitted);
  CHECK_FALSE(limiter.admit("1", later).admitted);
}

TEST_CASE("a rate of 0 turns the limit off") {
  RateLimiter limiter(RateLimit{0, 1});
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 1000; ++i) REQUIRE(limiter.admit("7", t0).admitted);
}

TEST_CASE("Retry-After covers the wait for one request at a slow rate") {
  RateLimiter limiter(RateLimit{0.1, 1});  // one request per 10 s
  const auto t0 = RateLimiter::Clock::now();
  CHECK(limiter.admit("1", t0).admitted);
  CHECK(limiter.admit("1", t0).retry_after_s == 10);
  CHECK(limiter.admit("1", t0 + 10s).admitted);
}
