// GET /metrics on the API listener: the process's metrics in the Prometheus
// text format, for operator tokens only. The API often faces the internet,
// and the figures tell how big the network is and how it is doing; a
// Prometheus server sends the token as a bearer credential
// (`authorization: {credentials_file: ...}` in its scrape config). An
// unauthenticated scrape needs --metrics-listen, a listener of its own meant
// for localhost or a private network (app/metrics_listener.h).
#include "api/router.h"

namespace chargelock::api {

namespace {

HttpResponse get_metrics(ApiContext& context, const RouteRequest&) {
  if (context.metrics == nullptr) return error_response(404, "metrics are not offered here");
  HttpResponse response;
  response.body = context.metrics->render();
  response.content_type = std::string(core::PrometheusText::kContentType);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace

std::vector<Route> metrics_routes() {
  return {
      {"GET", "/metrics", kOperator, get_metrics},
  };
}

}  // namespace chargelock::api
