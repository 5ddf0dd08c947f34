#include "core/verified_token_cache.h"

#include <algorithm>
#include <utility>

namespace chargelock::core {

VerifiedTokenCache::VerifiedTokenCache(std::function<bool()> unsettled, VerifiedTokenLimits limits,
                                       Clock clock)
    : unsettled_(std::move(unsettled)), limits_(limits), clock_(std::move(clock)) {}

bool VerifiedTokenCache::live(Instant now) const { return connected_ && now < live_until_; }

void VerifiedTokenCache::drop_all() {
  entries_.clear();
  ++generation_;
}

std::optional<Principal> VerifiedTokenCache::find(const std::string& key) const {
  // The channel before the entry: a change that arrived is dropped first.
  if (unsettled_ && unsettled_()) return std::nullopt;
  const Instant now = clock_();
  base::MutexLock lock(mutex_);
  if (!live(now)) return std::nullopt;
  const auto found = entries_.find(key);
  if (found == entries_.end() || found->second.expires <= now) return std::nullopt;
  return found->second.principal;
}

std::uint64_t VerifiedTokenCache::generation() const {
  base::MutexLock lock(mutex_);
  return generation_;
}

void VerifiedTokenCache::remember(const std::string& key, const Principal& principal,
                                  std::uint64_t generation) {
  const Instant now = clock_();
  base::MutexLock lock(mutex_);
  if (generation != generation_ || !live(now)) return;
  if (entries_.size() >= limits_.capacity && entries_.find(key) == entries_.end()) {
    for (auto it = entries_.begin(); it != entries_.end();)
      it = it->second.expires <= now ? entries_.erase(it) : std::next(it);
    if (entries_.size() >= limits_.capacity)
      entries_.erase(std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
        return a.second.expires < b.second.expires;
      }));
  }
  entries_[key] = Entry{principal, now + limits_.ttl};
}

void VerifiedTokenCache::changed(const ApiTokenChange& change) {
  base::MutexLock lock(mutex_);
  ++generation_;
  if (!change.token_id) {
    drop_all();
    return;
  }
  for (auto it = entries_.begin(); it != entries_.end();)
    it = it->second.principal.token_id == *change.token_id ? entries_.erase(it) : std::next(it);
}

void VerifiedTokenCache::confirmed(Instant sent_after) {
  base::MutexLock lock(mutex_);
  if (!connected_) {
    // Back after a loss (or at the start): what was verified before this
    // point may have missed a change; it was dropped at the loss, and a
    // verification still running is not kept either.
    connected_ = true;
    drop_all();
  }
  live_until_ = std::max(live_until_, sent_after + limits_.lease);
}

void VerifiedTokenCache::lost() {
  base::MutexLock lock(mutex_);
  connected_ = false;
  drop_all();
}

std::size_t VerifiedTokenCache::size() const {
  base::MutexLock lock(mutex_);
  return entries_.size();
}

}  // namespace chargelock::core
