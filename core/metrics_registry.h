// What a process shows at GET /metrics: the collectors each part of the
// program registered (app/ composes them: core, ocpp, api, the database),
// rendered one after the other in the Prometheus text format.
//
// Threading contract: add() is called while the program starts, before any
// render(); render() may then be called from any number of threads at once.
// A collector may block (a database query): call render() on a worker,
// never on a loop thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/prometheus_text.h"

namespace chargelock::core {

class MetricsRegistry {
 public:
  using Collector = std::function<void(PrometheusText&)>;

  void add(Collector collector);
  // Every collector's families. A collector that throws (the database away)
  // leaves its families out; chargelock_metrics_collector_errors_total
  // counts such failures, so the scrape itself still succeeds.
  std::string render() const;

 private:
  std::vector<Collector> collectors_;
  mutable Counter collector_errors_;
};

}  // namespace chargelock::core
