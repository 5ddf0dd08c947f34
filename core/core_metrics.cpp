#include "core/core_metrics.h"

namespace chargelock::core {

CoreMetrics& core_metrics() {
  static CoreMetrics metrics;
  return metrics;
}

void write_core_metrics(PrometheusText& out) {
  using Type = PrometheusText::Type;
  const CoreMetrics& m = core_metrics();
  out.family("chargelock_group_commit_size", Type::Histogram,
             "Tasks that shared one database commit (OCPP messages handled together)");
  out.histogram("chargelock_group_commit_size", {}, m.group_commit_size.snapshot());
  out.family("chargelock_group_commit_seconds", Type::Histogram,
             "Time from a group's first task to its commit");
  out.histogram("chargelock_group_commit_seconds", {}, m.group_commit_seconds.snapshot());
  out.counter("chargelock_group_commit_failures_total",
              "Groups that could not commit; their tasks ran again one by one",
              m.group_commit_failures.value());
  out.family("chargelock_lock_fanout_seconds", Type::Histogram,
             "Time to queue a lock's LockVehicle for every pile in its scope");
  out.histogram("chargelock_lock_fanout_seconds", {}, m.lock_fanout_seconds.snapshot());
  out.counter("chargelock_lock_fanout_piles_total", "Piles a lock's fan-out queued LockVehicle for",
              m.lock_fanout_piles.value());
  out.counter_set("chargelock_webhook_deliveries_total",
                  "Webhook delivery attempts by outcome (delivered, retry later, failed for good)",
                  "outcome", m.webhook_deliveries);
}

}  // namespace chargelock::core
