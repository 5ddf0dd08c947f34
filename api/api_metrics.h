// The REST API's metrics: how long requests take and how they were answered,
// measured by the HttpServer from a request's head read to its response's
// last byte handed to the socket (the server's part of what a client waits:
// the loop, the workers, the database; not the network or the client
// getting a core). Written by write_api_metrics() at a scrape.
//
// Threading: see core/metric_types.h (lock-free, any thread); recorded on
// the API loop thread.
#pragma once

#include <chrono>
#include <string_view>

#include "core/metric_types.h"
#include "core/prometheus_text.h"

namespace chargelock::api {

struct ApiMetrics {
  ApiMetrics();

  // Label: the HTTP method (GET, POST, ...; anything else "other").
  core::HistogramSet request_seconds;
  // Label: the status class (2xx, 3xx, 4xx, 5xx; anything else "other").
  core::CounterSet responses;

  // Finer than core::Histogram::latency_bounds() between 5 and 50 ms, where
  // the API's p99 target (20 ms) lies.
  static std::vector<double> request_bounds();
};

// The process's one set.
ApiMetrics& api_metrics();

// One answered request (a long-lived stream is not one).
void record_api_request(std::string_view method, int status,
                        std::chrono::steady_clock::duration elapsed);

void write_api_metrics(core::PrometheusText& out);

}  // namespace chargelock::api
