#include "core/token_change_listener.h"

#include <chrono>
#include <exception>
#include <utility>

#include "core/log.h"

namespace chargelock::core {

namespace {
// The longest wait for a signal before the channel's next round trip: the
// round trips renew the cache's lease (VerifiedTokenLimits::lease, 1 s: four
// chances to renew it, so a thread kept from the CPU for a moment does not
// empty the cache) and let the thread see stopping_.
constexpr std::chrono::milliseconds kWaitSlice{250};
}  // namespace

TokenChangeListener::TokenChangeListener(std::shared_ptr<ApiTokenSignals> signals,
                                         VerifiedTokenCache& cache)
    : signals_(std::move(signals)), cache_(cache) {
  thread_ = std::thread([this] { run(); });
}

TokenChangeListener::~TokenChangeListener() { stop(); }

void TokenChangeListener::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  cache_.lost();
}

void TokenChangeListener::run() {
  bool was_live = false;
  while (!stopping_) {
    const auto apply = [this](const ApiTokenChange& change) { cache_.changed(change); };
    bool live = false;
    try {
      signals_->wait(kWaitSlice, apply);
      const VerifiedTokenCache::Instant sent_after = cache_.now();
      live = signals_->confirm(apply);
      if (live) cache_.confirmed(sent_after);
    } catch (const std::exception&) {
      live = false;  // treated as a lost channel: the cache serves nothing
    }
    if (!live) cache_.lost();
    if (live != was_live)
      log(live ? LogLevel::Info : LogLevel::Warn,
          live ? "token_cache_live" : "token_cache_bypassed",
          live ? "chargelock: api: token changes heard: verified tokens are kept for a few seconds"
               : "chargelock: api: the token change channel is down: every token is checked "
                 "against the database");
    was_live = live;
  }
}

}  // namespace chargelock::core
