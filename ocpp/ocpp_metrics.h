// The OCPP node's metrics: connected piles by security profile, frames in
// and out by action, CALLERRORs by code, and how long handlers take.
// Updated on the websocket loop and the workers; written by
// write_ocpp_metrics() at a scrape.
//
// Threading: see core/metric_types.h (lock-free, any thread).
#pragma once

#include <array>

#include "core/metric_types.h"
#include "core/prometheus_text.h"

namespace chargelock::ocpp {

struct OcppMetrics {
  OcppMetrics();

  // Index: the security profile (0 = a pile admitted without credentials).
  std::array<core::Gauge, 4> connected_piles;
  // Label: the action (the answer to a CALL counts under the CALL's
  // action); a frame that names no known action counts as "other".
  core::CounterSet frames_in;
  core::CounterSet frames_out;
  core::CounterSet callerrors_sent;      // label: code
  core::CounterSet callerrors_received;  // label: code
  // Label: the CALL's action.
  core::HistogramSet handler_seconds;
};

// The process's one set.
OcppMetrics& ocpp_metrics();

void write_ocpp_metrics(core::PrometheusText& out);

}  // namespace chargelock::ocpp
