#include "core/metrics_registry.h"

#include <cstdio>
#include <exception>

#include "core/log.h"

namespace chargelock::core {

void MetricsRegistry::add(Collector collector) { collectors_.push_back(std::move(collector)); }

std::string MetricsRegistry::render() const {
  std::string text;
  for (const Collector& collector : collectors_) {
    // Each collector writes into its own buffer: one that fails half-way
    // leaves nothing behind (no family without its samples).
    PrometheusText part;
    try {
      collector(part);
      text += part.text();
    } catch (const std::exception& error) {
      collector_errors_.add();
      log(LogLevel::Error, "metrics_collector_failed",
          std::string("chargelock: metrics: a collector failed: ") + error.what());
    }
  }
  PrometheusText own;
  own.counter("chargelock_metrics_collector_errors_total",
              "Metric collectors that failed during a scrape (e.g. the database was away)",
              collector_errors_.value());
  return text + own.text();
}

}  // namespace chargelock::core
