#include "api/api_metrics.h"

#include <string>
#include <vector>

namespace chargelock::api {

namespace {

const char* status_class(int status) {
  if (status >= 200 && status < 300) return "2xx";
  if (status >= 300 && status < 400) return "3xx";
  if (status >= 400 && status < 500) return "4xx";
  if (status >= 500 && status < 600) return "5xx";
  return "other";
}

}  // namespace

std::vector<double> ApiMetrics::request_bounds() {
  return {0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
          0.075, 0.1,    0.25,  0.5,    1,    2.5,   5,    10};
}

ApiMetrics::ApiMetrics()
    : request_seconds({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"},
                      request_bounds()),
      responses({"2xx", "3xx", "4xx", "5xx"}) {}

ApiMetrics& api_metrics() {
  static ApiMetrics metrics;
  return metrics;
}

void record_api_request(std::string_view method, int status,
                        std::chrono::steady_clock::duration elapsed) {
  ApiMetrics& m = api_metrics();
  m.request_seconds[method].observe(elapsed);
  m.responses[status_class(status)].add();
}

void write_api_metrics(core::PrometheusText& out) {
  using Type = core::PrometheusText::Type;
  const ApiMetrics& m = api_metrics();
  out.family("chargelock_api_request_seconds", Type::Histogram,
             "REST API requests from their head read to their response's last byte written, by "
             "method (notification streams not included)");
  for (const auto& [method, snapshot] : m.request_seconds.snapshots())
    if (snapshot.count() != 0 || method == "GET")
      out.histogram("chargelock_api_request_seconds", {{"method", method}}, snapshot);
  out.counter_set("chargelock_api_responses_total", "REST API responses by status class", "class",
                  m.responses);
}

}  // namespace chargelock::api
