#include "core/notification_relay.h"

#include <fmt/format.h>

#include <chrono>
#include <exception>
#include <utility>

#include "core/log.h"

namespace chargelock::core {

namespace {
// How often the thread looks at stopping_ while no signal comes.
constexpr std::chrono::milliseconds kWaitSlice{500};
}  // namespace

NotificationRelay::NotificationRelay(NotificationService& notifications, NotificationStore& store,
                                     std::function<void()> on_thread_exit)
    : notifications_(notifications), store_(store), on_thread_exit_(std::move(on_thread_exit)) {}

NotificationRelay::~NotificationRelay() { stop(); }

void NotificationRelay::start() {
  if (thread_.joinable()) return;
  // Listening before the thread starts: what is committed after start()
  // returns is heard.
  std::unique_ptr<NotificationSignals> signals = store_.listen();
  if (!signals) return;
  thread_ =
      std::thread([this, signals = std::move(signals)]() mutable { run(std::move(signals)); });
}

void NotificationRelay::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void NotificationRelay::run(std::unique_ptr<NotificationSignals> signals) {
  bool failing = false;
  while (!stopping_) {
    const std::vector<NotificationSignal> heard = signals->wait(kWaitSlice);
    for (const NotificationSignal& signal : heard) {
      if (stopping_) break;
      // Read back only for a process that would tell someone (an API
      // process always: its webhook dispatcher listens to every owner).
      if (!notifications_.has_subscribers(signal.owner_id)) continue;
      try {
        for (const Notification& stored : store_.list(signal.owner_id, signal.id - 1, 1))
          if (stored.id == signal.id) notifications_.publish(stored);
        failing = false;
      } catch (const std::exception& error) {
        // The database is away: the streams' and the dispatcher's polls
        // find the notification later.
        if (!failing)
          log(LogLevel::Error, "notification_relay_failed",
              fmt::format("chargelock: notifications: reading notification {} failed: {}",
                          signal.id, error.what()));
        failing = true;
      }
    }
  }
  signals.reset();
  if (on_thread_exit_) on_thread_exit_();
}

}  // namespace chargelock::core
