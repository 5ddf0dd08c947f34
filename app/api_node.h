// The API role of the chargelock program: the REST API server (own HTTP loop
// and workers) wired to one CentralSystem. The constructor makes the admin
// token (CHARGELOCK_ADMIN_TOKEN) a valid operator token; run() blocks until
// stop().
#pragma once

#include <functional>
#include <memory>

#include "app/config.h"
#include "core/central_system.h"
#include "core/metrics_registry.h"

namespace chargelock::app {

class ApiNode {
 public:
  // Throws std::runtime_error when the listener cannot start,
  // core::DatabaseError when the admin token cannot be stored.
  // `ready` answers GET /readyz (core::ReadinessProbe::ready; unset: always
  // ready); thread-safe and non-blocking. `metrics`: what GET /metrics shows
  // (null: 404); must outlive the node.
  ApiNode(const Config& config, core::CentralSystem& central, std::function<bool()> ready = {},
          const core::MetricsRegistry* metrics = nullptr);
  ~ApiNode();
  ApiNode(const ApiNode&) = delete;
  ApiNode& operator=(const ApiNode&) = delete;

  void run();  // prints "chargelock: api listening on HOST:PORT", then serves until stop()
  // Thread-safe: requests begun are answered (at most 5 s), new ones get
  // 503, then run() returns.
  void stop();
  // Thread-safe: re-reads the HTTPS certificate and key (SIGHUP).
  void reload_certificates();
  // Thread-safe: notification streams open now.
  std::size_t open_streams() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::app
