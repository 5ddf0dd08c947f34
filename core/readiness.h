// Whether this process can serve: its database is reachable and takes
// writes (GET /readyz on every OCPP node and API process, which a load
// balancer asks several times a second). The loops that answer must never
// wait on the database, so a probe thread of its own runs the check every
// `interval` and ready() reports the last probe, as long as it is recent: a
// probe stuck on a database that stopped answering makes the process not
// ready after `stale_after`, before the probe itself gives up.
//
// Threading: ready() is thread-safe and never blocks. The check runs on the
// probe thread only (with the database, that thread's own connection);
// stop() and the destructor join it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "base/mutex.h"

namespace chargelock::core {

class Stores;

class ReadinessProbe {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // True when ready; false or an exception (its message is logged) when not.
  // May block.
  using Check = std::function<bool()>;

  struct Options {
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds stale_after{3000};
    Clock clock = [] { return std::chrono::steady_clock::now(); };
    std::function<void()> on_thread_exit;  // e.g. release the thread's connection
  };

  // Starts the probe thread; the first check runs at once.
  ReadinessProbe(Check check, Options options);
  ~ReadinessProbe();
  ReadinessProbe(const ReadinessProbe&) = delete;
  ReadinessProbe& operator=(const ReadinessProbe&) = delete;

  // The database is reachable and a primary (Stores::accepts_writes).
  static Check database_check(Stores& database);

  bool ready() const;
  std::uint64_t checks_done() const { return checks_done_.load(); }  // for tests
  void stop() EXCLUDES(mutex_);                                      // idempotent

 private:
  void run() EXCLUDES(mutex_);
  void record(bool ok, const std::string& cause);  // probe thread

  Check check_;
  Options options_;
  // Time (clock ticks) of the last successful check; kNever when the last
  // check failed or none has run.
  static constexpr std::int64_t kNever = INT64_MIN;
  std::atomic<std::int64_t> last_ok_{kNever};
  std::atomic<std::uint64_t> checks_done_{0};
  bool was_ready_ = true;  // probe thread only: log changes, not every probe
  base::Mutex mutex_;
  base::CondVar wake_{&mutex_};
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace chargelock::core
