// The OCPP role of the chargelock program: websocket listeners, sessions,
// worker threads, all wired to one CentralSystem. run() blocks until stop().
#pragma once

#include <memory>

#include "app/config.h"
#include "core/central_system.h"

namespace chargelock::app {

class OcppNode {
 public:
  // Throws std::runtime_error when a listener cannot start.
  OcppNode(const Config& config, core::CentralSystem& central);
  ~OcppNode();
  OcppNode(const OcppNode&) = delete;
  OcppNode& operator=(const OcppNode&) = delete;

  void run();  // prints the ready lines, then serves until stop()
  // Thread-safe, idempotent: stops accepting, finishes the CALLs in flight,
  // closes the piles with 1001 Going Away, then run() returns (within ~7 s).
  void stop();
  // Thread-safe: re-reads the wss:// certificate and key, and the client CA
  // bundle of profile 3 (SIGHUP); connected piles stay.
  void reload_certificates();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::app
