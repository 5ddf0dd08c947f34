// Which metrics this process shows at GET /metrics: the core's, the OCPP
// node's (when it runs one), the API's (when it runs one), its database
// connections', and the command queue's depth.
#pragma once

#include "app/api_node.h"
#include "core/central_system.h"
#include "core/metrics_registry.h"

namespace chargelock::app {

// REQUIRES: called before the first scrape; `central` and `api` outlive
// every scrape.
void add_process_metrics(core::MetricsRegistry& registry, core::CentralSystem& central,
                         bool ocpp_node, const ApiNode* api);

}  // namespace chargelock::app
