#include "app/metrics_listener.h"

#include <fmt/format.h>

#include <cstdio>
#include <thread>

#include "api/http_server.h"
#include "api/json_util.h"
#include "core/log.h"
#include "core/work_queue.h"

namespace chargelock::app {

class MetricsListener::Impl final : public api::HttpHandler {
 public:
  Impl(const HostPort& listen, const core::MetricsRegistry& registry)
      : registry_(registry), server_(http_config(listen), *this), work_(1) {
    core::log(core::LogLevel::Notice, "listening",
              fmt::format("chargelock: metrics listening on {}:{}", listen.host, server_.port()));
    loop_ = std::thread([this] { server_.run(); });
  }

  ~Impl() override {
    server_.stop();
    if (loop_.joinable()) loop_.join();
    work_.stop();
  }

  void handle(api::HttpRequest request, api::Responder respond) override {
    if (request.path != "/metrics") {
      respond(error(404, "not found: only GET /metrics is served here"));
      return;
    }
    if (request.method != "GET" && request.method != "HEAD") {
      api::HttpResponse response = error(405, "method not allowed (GET /metrics)");
      response.headers.emplace_back("Allow", "GET");
      respond(std::move(response));
      return;
    }
    work_.submit("metrics", [this, respond = std::move(respond)] {
      api::HttpResponse response;
      response.body = registry_.render();
      response.content_type = std::string(core::PrometheusText::kContentType);
      response.headers.emplace_back("Cache-Control", "no-store");
      respond(std::move(response));
    });
  }

  int port() const { return server_.port(); }

 private:
  static api::HttpServerConfig http_config(const HostPort& listen) {
    api::HttpServerConfig config;
    config.host = listen.host;
    config.port = listen.port;
    config.max_body_bytes = 1024;
    return config;
  }

  static api::HttpResponse error(int status, const std::string& message) {
    api::HttpResponse response;
    response.status = status;
    response.body = api::error_body(message);
    return response;
  }

  const core::MetricsRegistry& registry_;
  api::HttpServer server_;
  core::WorkQueue work_;
  std::thread loop_;
};

MetricsListener::MetricsListener(const HostPort& listen, const core::MetricsRegistry& registry)
    : impl_(std::make_unique<Impl>(listen, registry)) {}
MetricsListener::~MetricsListener() = default;
int MetricsListener::port() const { return impl_->port(); }

}  // namespace chargelock::app
