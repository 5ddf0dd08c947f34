// Keeps a VerifiedTokenCache honest: one thread waits on the token store's
// change channel (ApiTokenSignals), drops each changed token from the cache
// as the signal is read, and makes a round trip on the channel every
// quarter second (or after each signal), telling the cache whether it is
// live (confirmed, which renews the cache's lease) or lost.
//
// Threading: constructed and destroyed by the owner of the cache; the thread
// runs in between (stop() ends it within about a second).
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "core/stores/api_token_store.h"
#include "core/verified_token_cache.h"

namespace chargelock::core {

class TokenChangeListener {
 public:
  // `signals` listens already (ApiTokenStore::listen()); the cache must
  // outlive the listener.
  TokenChangeListener(std::shared_ptr<ApiTokenSignals> signals, VerifiedTokenCache& cache);
  ~TokenChangeListener();  // stop()
  TokenChangeListener(const TokenChangeListener&) = delete;
  TokenChangeListener& operator=(const TokenChangeListener&) = delete;

  // Idempotent; the cache serves nothing from then on.
  void stop();

 private:
  void run();

  const std::shared_ptr<ApiTokenSignals> signals_;
  VerifiedTokenCache& cache_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace chargelock::core
