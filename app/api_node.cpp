#include "app/api_node.h"

#include <fmt/format.h>

#include <cstdio>

#include "api/api_server.h"
#include "api/webhook_http_client.h"
#include "core/log.h"
#include "core/notification_relay.h"
#include "core/thread_setup.h"
#include "core/token_service.h"
#include "core/webhook_service.h"
#include "storage/database.h"

namespace chargelock::app {

namespace {

api::ApiServerConfig api_config(const Config& config, std::function<bool()> ready,
                                const core::MetricsRegistry* metrics) {
  api::ApiServerConfig server;
  server.ready = std::move(ready);
  server.metrics = metrics;
  server.http.host = config.api_listen.host;
  server.http.port = config.api_listen.port;
  server.http.tls_cert = config.api_tls_cert;
  server.http.tls_key = config.api_tls_key;
  server.http.max_body_bytes = static_cast<std::size_t>(config.api_max_body_bytes);
  server.workers = static_cast<std::size_t>(config.workers);
  server.webhook_allow_private = config.webhook_allow_private;
  server.map_tile_url = config.map_tile_url;
  server.streams_per_owner = config.streams_per_owner;
  server.token_rate = config.api_token_rate;
  server.token_burst = config.api_token_burst;
  return server;
}

void ensure_admin_token(const Config& config, core::Stores& stores) {
  if (config.admin_token.empty()) {
    core::log(core::LogLevel::Warn, "admin_token_missing",
              "chargelock: warning: CHARGELOCK_ADMIN_TOKEN is not set; only tokens created "
              "earlier are accepted");
    return;
  }
  if (config.admin_token.size() < 16)
    core::log(core::LogLevel::Warn, "admin_token_short",
              "chargelock: warning: the admin token is shorter than 16 characters; use a long "
              "random token");
  core::AccessServices access(stores);
  if (access.tokens().ensure_admin_token(config.admin_token))
    core::log(core::LogLevel::Info, "admin_token_registered",
              "chargelock: admin token registered as an operator token");
}

api::WebhookHttpClientConfig webhook_client_config(const Config& config) {
  api::WebhookHttpClientConfig client;
  client.ca_file = config.webhook_ca;
  client.allow_private = config.webhook_allow_private;
  return client;
}

core::WebhookDispatcherConfig webhook_dispatcher_config(core::Stores& stores) {
  core::WebhookDispatcherConfig dispatcher;
  dispatcher.on_thread_exit = [&stores] { stores.release_thread_connection(); };
  return dispatcher;
}

}  // namespace

class ApiNode::Impl {
 public:
  Impl(const Config& config, core::CentralSystem& central, std::function<bool()> ready,
       const core::MetricsRegistry* metrics)
      : config_(config),
        server_((ensure_admin_token(config, central.stores()),
                 api_config(config, std::move(ready), metrics)),
                central, central.stores()),
        webhook_client_(webhook_client_config(config)),
        webhooks_(central.stores().webhooks(), webhook_client_, api::webhook_body,
                  webhook_dispatcher_config(central.stores())),
        // A notification committed in this process (serve, or an OCPP
        // node's own) is delivered at once; one committed by another process
        // is found by the dispatcher's poll.
        wake_webhooks_(central.notifications().subscribe_all(
            [this](const core::Notification&) { webhooks_.wake(); })),
        // A notification committed by another process (an OCPP node's
        // vehicle_caught when the API runs apart) reaches this process's
        // streams and wakes its dispatcher at once, not at their polls.
        relay_(central.notifications(), central.stores().notifications(),
               [&stores = central.stores()] { stores.release_thread_connection(); }) {
    // Owners' webhooks are delivered by every API process (the outbox is
    // shared through the database; see core/webhook_service.h).
    webhooks_.start();
    relay_.start();
  }

  ~Impl() {
    relay_.stop();
    webhooks_.stop();
  }

  void run() {
    core::log(core::LogLevel::Notice, "listening",
              fmt::format("chargelock: api listening on {}{}:{}", server_.tls() ? "https://" : "",
                          config_.api_listen.host, server_.port()));
    if (config_.loop_realtime_priority > 0)
      core::run_this_thread_in_realtime(config_.loop_realtime_priority, "the api loop");
    server_.run();
  }

  void reload_certificates() { server_.reload_certificates(); }
  std::size_t open_streams() const { return server_.open_streams(); }

  // Graceful (SIGTERM): requests begun are answered, new ones get 503.
  void stop() {
    server_.shut_down();
    webhooks_.stop();  // cancels a request in flight; returns within ~100 ms
  }

 private:
  const Config& config_;
  api::ApiServer server_;
  api::WebhookHttpClient webhook_client_;
  core::WebhookDispatcher webhooks_;
  // Declared after the dispatcher: ended first, so no wake() reaches a
  // dispatcher being destroyed.
  std::unique_ptr<core::NotificationService::Subscription> wake_webhooks_;
  core::NotificationRelay relay_;  // ended before the subscription it feeds
};

ApiNode::ApiNode(const Config& config, core::CentralSystem& central, std::function<bool()> ready,
                 const core::MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(config, central, std::move(ready), metrics)) {}
ApiNode::~ApiNode() = default;
void ApiNode::run() { impl_->run(); }
void ApiNode::stop() { impl_->stop(); }
void ApiNode::reload_certificates() { impl_->reload_certificates(); }
std::size_t ApiNode::open_streams() const { return impl_->open_streams(); }

}  // namespace chargelock::app
