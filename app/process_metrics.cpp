#include "app/process_metrics.h"

#include "api/api_metrics.h"
#include "core/core_metrics.h"
#include "core/stores/command_store.h"
#include "ocpp/ocpp_metrics.h"

namespace chargelock::app {

void add_process_metrics(core::MetricsRegistry& registry, storage::Database& database,
                         bool ocpp_node, const ApiNode* api) {
  using Type = core::PrometheusText::Type;
  registry.add(core::write_core_metrics);
  if (ocpp_node) registry.add(ocpp::write_ocpp_metrics);
  if (api != nullptr) registry.add(api::write_api_metrics);
  if (api != nullptr)
    registry.add([api](core::PrometheusText& out) {
      out.gauge("chargelock_api_sse_streams", "Owners' notification streams open on this process",
                static_cast<std::int64_t>(api->open_streams()));
    });
  registry.add([&database](core::PrometheusText& out) {
    const storage::DatabaseStats& stats = database.stats();
    out.counter("chargelock_database_errors_total",
                "Database statements, commits and connection attempts that failed",
                stats.errors.load(std::memory_order_relaxed));
    out.counter("chargelock_database_reconnects_total",
                "Database connections found broken and dropped (reopened by the next call)",
                stats.connections_lost.load(std::memory_order_relaxed));
    out.counter("chargelock_database_connections_opened_total",
                "Database connections opened (one per thread that uses the database)",
                stats.connections_opened.load(std::memory_order_relaxed));
  });
  // Last: a database query, the one collector that fails while the database
  // is away (the others are still shown).
  registry.add([&database](core::PrometheusText& out) {
    const auto counts = database.commands().pending_counts();
    out.family("chargelock_command_queue_depth", Type::Gauge,
               "Commands to piles waiting for delivery (queued) or for the pile's answer (sent); "
               "the same figure in every process, read from the database");
    for (const auto& [status, count] : counts)
      out.sample("chargelock_command_queue_depth", {{"status", status}}, count);
  });
}

}  // namespace chargelock::app
