#include "app/api_node.h"

#include <cstdio>

#include "api/api_server.h"
#include "core/token_service.h"
#include "storage/database.h"

namespace chargelock::app {

namespace {

api::ApiServerConfig api_config(const Config& config) {
  api::ApiServerConfig server;
  server.http.host = config.api_listen.host;
  server.http.port = config.api_listen.port;
  server.http.tls_cert = config.api_tls_cert;
  server.http.tls_key = config.api_tls_key;
  server.workers = static_cast<std::size_t>(config.workers);
  return server;
}

void ensure_admin_token(const Config& config, storage::Database& database) {
  if (config.admin_token.empty()) {
    std::fprintf(stderr,
                 "chargelock: warning: CHARGELOCK_ADMIN_TOKEN is not set; only tokens created "
                 "earlier are accepted\n");
    return;
  }
  if (config.admin_token.size() < 16)
    std::fprintf(stderr,
                 "chargelock: warning: the admin token is shorter than 16 characters; use a long "
                 "random token\n");
  core::AccessServices access(database);
  if (access.tokens().ensure_admin_token(config.admin_token))
    std::printf("chargelock: admin token registered as an operator token\n");
}

}  // namespace

class ApiNode::Impl {
 public:
  Impl(const Config& config, core::CentralSystem& central)
      : config_(config),
        server_((ensure_admin_token(config, central.database()), api_config(config)), central,
                central.database()) {}

  void run() {
    std::printf("chargelock: api listening on %s%s:%d\n", server_.tls() ? "https://" : "",
                config_.api_listen.host.c_str(), server_.port());
    std::fflush(stdout);
    server_.run();
  }

  void stop() { server_.stop(); }

 private:
  const Config& config_;
  api::ApiServer server_;
};

ApiNode::ApiNode(const Config& config, core::CentralSystem& central)
    : impl_(std::make_unique<Impl>(config, central)) {}
ApiNode::~ApiNode() = default;
void ApiNode::run() { impl_->run(); }
void ApiNode::stop() { impl_->stop(); }

}  // namespace chargelock::app
