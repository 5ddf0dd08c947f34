// Which metrics this process shows at GET /metrics: the core's, the OCPP
// node's (when it runs one), the API's (when it runs one), its database
// connections', and the command queue's depth.
#pragma once

#include "app/api_node.h"
#include "core/metrics_registry.h"
#include "storage/database.h"

namespace chargelock::app {

// REQUIRES: called before the first scrape; `database` and `api` outlive
// every scrape.
void add_process_metrics(core::MetricsRegistry& registry, storage::Database& database,
                         bool ocpp_node, const ApiNode* api);

}  // namespace chargelock::app
