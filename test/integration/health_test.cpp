// GET /healthz and /readyz of the real program (docs/deployment.md): what a
// load balancer (deploy/haproxy.cfg) asks each OCPP node and API process.
// Alive while the process runs; ready only while its database is reachable
// and takes writes, so a node that loses its database gets no new piles.
// Runs its own PostgreSQL cluster, which it stops and starts again.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "test/support/eventually.h"
#include "test/support/http_test_client.h"
#include "test/support/private_cluster.h"
#include "test/support/server_process.h"

using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

int status_of(int port, const std::string& method, const std::string& path) {
  HttpTestClient client(port);
  client.timeout = 3000ms;
  return client.request(method, path).status;
}

// Polls until `path` answers `status` (or 20 s pass); returns the last status.
int await_status(int port, const std::string& path, int status) {
  int seen = 0;
  eventually([&] { return (seen = status_of(port, "GET", path)) == status; }, 20s, 100ms);
  return seen;
}

}  // namespace

TEST_CASE("health: OCPP node and API process are ready with their database, not ready without it") {
  PrivateCluster cluster;
  const std::map<std::string, std::string> env = {{"CHARGELOCK_DATABASE_URL", cluster.url()}};
  ServerProcess ocpp({"ocpp", "--ocpp-listen", "127.0.0.1:0"}, env, {"ocpp ws"});
  ServerProcess api({"api", "--api-listen", "127.0.0.1:0"}, env, {"api"});
  const int ocpp_port = ocpp.port("ocpp ws");
  const int api_port = api.port("api");

  for (const int port : {ocpp_port, api_port}) {
    INFO("port " << port);
    CHECK(status_of(port, "GET", "/healthz") == 200);
    CHECK(await_status(port, "/readyz", 200) == 200);
  }
  // Health needs no credentials, but it is still only a GET on the API;
  // on the OCPP listener other paths stay unknown.
  CHECK(status_of(api_port, "POST", "/readyz") == 405);
  CHECK(status_of(ocpp_port, "GET", "/ready") == 404);

  cluster.stop();
  for (const int port : {ocpp_port, api_port}) {
    INFO("port " << port);
    CHECK(await_status(port, "/readyz", 503) == 503);
    CHECK(status_of(port, "GET", "/healthz") == 200);  // alive: no restart wanted
  }
  CHECK(ocpp.output().find("not ready") != std::string::npos);

  cluster.start();
  for (const int port : {ocpp_port, api_port}) {
    INFO("port " << port);
    CHECK(await_status(port, "/readyz", 200) == 200);
  }
}
