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

  void run();   // prints the ready lines, then serves until stop()
  void stop();  // thread-safe

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::app
