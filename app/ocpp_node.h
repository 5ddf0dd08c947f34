// The OCPP role of the chargelock program: websocket listeners, sessions,
// worker threads, all wired to one CentralSystem. run() blocks until stop().
#pragma once

#include <functional>
#include <memory>

#include "app/config.h"
#include "core/central_system.h"

namespace chargelock::app {

class OcppNode {
 public:
  // Throws std::runtime_error when a listener cannot start.
  // `ready` answers GET /readyz (core::ReadinessProbe::ready; unset: always
  // ready); thread-safe and non-blocking.
  OcppNode(const Config& config, core::CentralSystem& central, std::function<bool()> ready = {});
  ~OcppNode();
  OcppNode(const OcppNode&) = delete;
  OcppNode& operator=(const OcppNode&) = delete;

  void run();  // prints the ready lines, then serves until stop()
  // Thread-safe, idempotent: stops accepting and sending commands, finishes
  // the CALLs in flight both ways, closes the piles with 1001 Going Away,
  // then run() returns (within ~7 s).
  void stop();
  // Thread-safe: re-reads the wss:// certificate and key, and the client CA
  // bundle of profile 3 (SIGHUP); connected piles stay.
  void reload_certificates();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::app
