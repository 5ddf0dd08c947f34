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
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReadinessProbe::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
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
    lock.lock();
    wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
  lock.unlock();
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
