#include "api/api_server.h"

#include <atomic>
#include <string>

#include "api/api_metrics.h"
#include "api/notification_streams.h"
#include "api/router.h"
#include "core/central_system.h"
#include "core/operator_queries.h"
#include "core/rate_limiter.h"
#include "core/stores/stores.h"
#include "core/token_service.h"
#include "core/work_queue.h"

namespace chargelock::api {

namespace {

// Every answered request into the process's API metrics (api_metrics.h).
HttpServerConfig with_request_metrics(HttpServerConfig http) {
  http.on_answered = record_api_request;
  return http;
}

}  // namespace

class ApiServer::Impl final : public HttpHandler {
 public:
  Impl(ApiServerConfig config, core::CentralSystem& central, core::Stores& database)
      : access_(database),
        queries_(database),
        rate_limiter_(core::RateLimit{config.token_rate, config.token_burst}),
        context_{central,        access_.tokens(),   queries_,
                 &streams_,      &rate_limiter_,     config.webhook_allow_private,
                 config.metrics, config.map_tile_url},
        server_(with_request_metrics(config.http), *this),
        work_(std::max<std::size_t>(1, config.workers)),
        streams_(central.notifications(), work_, streams_config(config)),
        ready_(config.ready) {
    // A token verified a moment ago skips the database (one round trip of
    // every request); revocations are heard at their commit.
    access_.keep_verified_tokens();
  }

  ~Impl() override {
    // End the notification streams (no more pushes into the server), then
    // finish the requests in hand while the server (their way back) exists.
    streams_.stop();
    work_.stop();
  }

  void handle(HttpRequest request, Responder respond) override {
    // Health is answered on the loop: a load balancer must get it even when
    // every worker waits on the database.
    if (request.path == "/healthz" || request.path == "/readyz") {
      respond(health(request));
      return;
    }
    // Spread requests over the workers; nothing needs ordering here.
    const std::string shard = std::to_string(next_shard_++ % work_.size());
    work_.submit(shard, [this, request = std::move(request), respond = std::move(respond)] {
      respond(dispatch(context_, request));
    });
  }

  HttpResponse health(const HttpRequest& request) const {
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse response = error_response(
          405, "method " + request.method + " not allowed here (allowed: GET, HEAD)");
      response.headers.emplace_back("Allow", "GET, HEAD");
      return response;
    }
    if (request.path == "/readyz" && ready_ && !ready_())
      return error_response(503, "not ready: the database is unreachable or takes no writes");
    return json_response(200, R"({"status":"ok"})");
  }

  int port() const { return server_.port(); }
  bool tls() const { return server_.tls(); }
  void run() { server_.run(); }
  void stop() { server_.stop(); }
  void reload_certificates() { server_.reload_certificates(); }
  void shut_down() { server_.shut_down(); }
  std::size_t open_streams() const { return streams_.size(); }

 private:
  core::AccessServices access_;
  core::OperatorQueries queries_;
  core::RateLimiter rate_limiter_;
  ApiContext context_;
  HttpServer server_;
  core::WorkQueue work_;
  NotificationStreams streams_;
  std::atomic<std::size_t> next_shard_{0};
  const std::function<bool()> ready_;

  static NotificationStreamsConfig streams_config(const ApiServerConfig& config) {
    NotificationStreamsConfig streams;
    streams.max_streams = static_cast<std::size_t>(std::max(0, config.http.max_streams));
    streams.poll_interval = std::chrono::milliseconds(std::max(100, config.stream_poll_ms));
    streams.max_streams_per_owner = static_cast<std::size_t>(std::max(1, config.streams_per_owner));
    return streams;
  }
};

ApiServer::ApiServer(ApiServerConfig config, core::CentralSystem& central, core::Stores& database)
    : impl_(std::make_unique<Impl>(std::move(config), central, database)) {}
ApiServer::~ApiServer() = default;
int ApiServer::port() const { return impl_->port(); }
bool ApiServer::tls() const { return impl_->tls(); }
void ApiServer::run() { impl_->run(); }
void ApiServer::stop() { impl_->stop(); }
void ApiServer::reload_certificates() { impl_->reload_certificates(); }
void ApiServer::shut_down() { impl_->shut_down(); }
std::size_t ApiServer::open_streams() const { return impl_->open_streams(); }

}  // namespace chargelock::api
