#include "core/readiness.h"

#include <cstdint>
#include <cstdio>
#include <exception>

#include "core/log.h"
#include "core/stores/stores.h"

namespace chargelock::core {

ReadinessProbe::ReadinessProbe(Check check, Options options)
    : check_(std::move(check)), options_(std::move(options)), thread_([this] { run(); }) {}

ReadinessProbe::~ReadinessProbe() { stop(); }

ReadinessProbe::Check ReadinessProbe::database_check(Stores& database) {
  return [&database] { return database.accepts_writes(); };
}

bool ReadinessProbe::ready() const {
  const std::int64_t last_ok = last_ok_.load();
  if (last_ok == kNever) return false;
  const std::int64_t now = options_.clock().time_since_epoch().count();
  const auto stale =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.stale_after).count();
  return now - last_ok <= stale;
}

void ReadinessProbe::stop() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.signal_all();
  if (thread_.joinable()) thread_.join();
}

void ReadinessProbe::run() {
  for (;;) {
    {
      base::MutexLock lock(mutex_);
      if (stopping_) break;
    }
    // Not under the lock: stop() must not wait for a check that may block.
    bool ok = false;
    std::string cause = "the database is in recovery (a standby): it takes no writes";
    try {
      ok = check_();
    } catch (const std::exception& error) {
      cause = error.what();
    } catch (...) {
      cause = "unknown error";
    }
    record(ok, cause);
    base::MutexLock lock(mutex_);
    const auto due = std::chrono::steady_clock::now() + options_.interval;
    while (!stopping_ && wake_.wait_until(due)) {
    }
  }
  if (options_.on_thread_exit) options_.on_thread_exit();
}

void ReadinessProbe::record(bool ok, const std::string& cause) {
  last_ok_.store(ok ? options_.clock().time_since_epoch().count() : kNever);
  ++checks_done_;
  if (ok != was_ready_) {
    if (ok)
      log(LogLevel::Info, "ready", "chargelock: ready: the database takes writes again");
    else
      log(LogLevel::Warn, "not_ready", "chargelock: not ready (/readyz answers 503): " + cause);
  }
  was_ready_ = ok;
}

}  // namespace chargelock::core
