// --metrics-listen: GET /metrics without a token on a listener of its own,
// for a Prometheus server on the same host or a private network (bind it to
// 127.0.0.1 or a private address; it answers anyone who reaches it). Every
// role has it, so an OCPP-only node is scraped too. Anything but
// GET /metrics is 404.
//
// Threading: the listener's loop runs on its own thread from construction
// to destruction; a scrape is rendered on a worker of its own (collectors
// may query the database), never on the loop.
#pragma once

#include <memory>

#include "app/config.h"
#include "core/metrics_registry.h"

namespace chargelock::app {

class MetricsListener {
 public:
  // Prints "chargelock: metrics listening on HOST:PORT". Throws
  // std::runtime_error when the listener cannot be created. `registry` must
  // outlive the listener.
  MetricsListener(const HostPort& listen, const core::MetricsRegistry& registry);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::app
