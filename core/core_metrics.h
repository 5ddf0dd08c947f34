// The core's metrics: group commits, lock fan-outs, webhook deliveries.
// Updated where they happen; written by write_core_metrics() at a scrape.
//
// Threading: see core/metric_types.h (lock-free, any thread).
#pragma once

#include "core/metric_types.h"
#include "core/prometheus_text.h"

namespace chargelock::core {

struct CoreMetrics {
  Histogram group_commit_size{{1, 2, 4, 8, 16, 32, 64, 128}};
  Histogram group_commit_seconds{Histogram::latency_bounds()};
  Counter group_commit_failures;  // groups rolled back and run again one by one
  Histogram lock_fanout_seconds{Histogram::latency_bounds()};
  Counter lock_fanout_piles;
  CounterSet webhook_deliveries{{"delivered", "retry", "failed"}};
};

// The process's one set (metrics are per process, as Prometheus scrapes them).
CoreMetrics& core_metrics();

void write_core_metrics(PrometheusText& out);

}  // namespace chargelock::core
