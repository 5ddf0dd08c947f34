// The REST API server: HttpServer (libwebsockets, its own loop thread) in
// front of a core::WorkQueue that authenticates, routes and runs each
// request against the database.
//
// Threading: run() owns the calling thread (the HTTP loop, never blocks on
// the database); request handling happens on the API's own worker threads;
// answers go back to the loop through HttpServer's queue + wake-up.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "api/http_server.h"

namespace chargelock::core {
class CentralSystem;
class MetricsRegistry;
class Stores;
}  // namespace chargelock::core

namespace chargelock::api {

struct ApiServerConfig {
  HttpServerConfig http;               // http.max_streams also bounds the notification streams
  std::size_t workers = 4;             // database worker threads of the API
  int stream_poll_ms = 2000;           // notification streams: catch-up poll of the database
  bool webhook_allow_private = false;  // see ApiContext::webhook_allow_private
  std::string map_tile_url;            // see ApiContext::map_tile_url
  int streams_per_owner = 5;           // notification streams one owner may hold open (429 beyond)
  double token_rate = 50;    // requests per second per API token (0: unlimited; 429 beyond)
  double token_burst = 100;  // ... in bursts of up to this many

  // Health for load balancers, without authentication: GET /healthz is 200
  // while the loop runs; GET /readyz is 200 when `ready` says so (unset:
  // always), 503 otherwise. Called on the loop thread: must not block.
  std::function<bool()> ready;
  // GET /metrics (operator tokens); null: answered 404. Must outlive the server.
  const core::MetricsRegistry* metrics = nullptr;
};

class ApiServer {
 public:
  // Throws std::runtime_error when the listener cannot be created.
  ApiServer(ApiServerConfig config, core::CentralSystem& central, core::Stores& stores);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  int port() const;
  bool tls() const;  // HTTPS
  void run();        // blocks until stop()
  void stop();       // thread-safe
  // Thread-safe: answers the requests begun, refuses new ones (503), then
  // run() returns (see HttpServer::shut_down).
  void shut_down();
  // Thread-safe: HTTPS certificate and key re-read (SIGHUP).
  void reload_certificates();
  // Thread-safe: notification streams (server-sent events) open now.
  std::size_t open_streams() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::api
