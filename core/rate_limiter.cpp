#include "core/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace chargelock::core {

// A burst below one request would refuse everything.
RateLimiter::RateLimiter(RateLimit limit) : limit_{limit.rate, std::max(1.0, limit.burst)} {}

RateLimiter::Verdict RateLimiter::admit(const std::string& key, Clock::time_point now) {
  Verdict verdict;
  if (limit_.rate <= 0) return verdict;
  base::MutexLock lock(mutex_);
  drop_idle(now);
  auto [it, fresh] = buckets_.try_emplace(key);
  Bucket& bucket = it->second;
  if (fresh) {
    bucket.tokens = limit_.burst;
  } else {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(limit_.burst, bucket.tokens + std::max(0.0, elapsed) * limit_.rate);
  }
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    bucket.refusing = false;
    return verdict;
  }
  verdict.admitted = false;
  verdict.retry_after_s =
      std::max(1, static_cast<int>(std::ceil((1 - bucket.tokens) / limit_.rate)));
  if (!bucket.refusing || now - bucket.last_logged >= std::chrono::minutes(1)) {
    verdict.log = true;
    bucket.last_logged = now;
  }
  bucket.refusing = true;
  return verdict;
}

void RateLimiter::drop_idle(Clock::time_point now) {
  if (now < next_sweep_) return;
  // A bucket untouched for as long as it takes to fill up holds nothing a
  // fresh one would not: forget it.
  const auto full_after = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(limit_.burst / limit_.rate));
  for (auto it = buckets_.begin(); it != buckets_.end();)
    it = now - it->second.updated > full_after ? buckets_.erase(it) : std::next(it);
  next_sweep_ = now + std::max<Clock::duration>(full_after, std::chrono::seconds(10));
}

}  // namespace chargelock::core
