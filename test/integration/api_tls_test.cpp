// The REST API over HTTPS (--api-tls-cert / --api-tls-key): a client that
// trusts the CA talks to it, plain HTTP and untrusting clients get nowhere,
// and half a TLS configuration is refused at start.
#include <catch2/catch.hpp>
#include <chrono>

#include "test/support/api_fixture.h"
#include "test/support/test_certificates.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

struct TlsApi {
  TestDatabase database;
  TestCertificates certificates;
  std::unique_ptr<ServerProcess> server;

  explicit TlsApi(const std::string& command = "api") {
    std::vector<std::string> args = {command,
                                     "--api-listen",
                                     "127.0.0.1:0",
                                     "--api-tls-cert",
                                     certificates.server().cert,
                                     "--api-tls-key",
                                     certificates.server().key};
    std::vector<std::string> await = {"api"};
    if (command == "serve") {
      args.insert(args.end(), {"--ocpp-listen", "127.0.0.1:0"});
      await.push_back("ocpp ws");
    }
    server = std::make_unique<ServerProcess>(
        args,
        std::map<std::string, std::string>{{"CHARGELOCK_DATABASE_URL", database.url()},
                                           {"CHARGELOCK_ADMIN_TOKEN", kAdminToken}},
        await);
  }
  int port() const { return server->port("api"); }
};

}  // namespace

TEST_CASE("api tls: the API serves HTTPS with the configured certificate") {
  TlsApi api;
  CHECK(api.server->output().find("api listening on https://") != std::string::npos);

  HttpTestClient admin(api.port(), kAdminToken, api.certificates.ca_file());
  auto document = admin.get("/api/v1/openapi.json");
  INFO(admin.last_error());
  REQUIRE(document.status == 200);
  CHECK(document.json().IsObject());

  auto created = admin.post("/api/v1/chargepoints", R"({"id":"CP-TLS"})");
  CHECK(created.status == 201);
  CHECK(admin.get("/api/v1/chargepoints/CP-TLS").status == 200);
  CHECK(admin.reused_connection());  // keep-alive over TLS
  CHECK(admin.get("/api/v1/chargepoints/NOPE").status == 404);

  HttpTestClient anonymous(api.port(), "", api.certificates.ca_file());
  CHECK(anonymous.get("/api/v1/chargepoints").status == 401);

  // The owner's event stream works over TLS too.
  auto owner = admin.post("/api/v1/owners", R"({"name":"Alice"})");
  REQUIRE(owner.status == 201);
  HttpTestClient stream(api.port(), string_member(owner, "token"), api.certificates.ca_file());
  auto opened = stream.open_stream("/api/v1/notifications/stream?heartbeat=1");
  REQUIRE(opened.status == 200);
  CHECK(stream.read_stream_until(": heartbeat", 5s));
}

TEST_CASE("api tls: plain HTTP and clients that do not trust the CA get no answer") {
  TlsApi api;
  HttpTestClient plain(api.port(), kAdminToken);
  plain.timeout = 3000ms;
  CHECK(plain.get("/api/v1/openapi.json").status == 0);

  HttpTestClient untrusting(api.port(), kAdminToken, api.certificates.untrusted_ca_file());
  CHECK(untrusting.get("/api/v1/openapi.json").status == 0);
  CHECK(untrusting.last_error().find("TLS handshake failed") != std::string::npos);

  // The server is unharmed.
  HttpTestClient trusting(api.port(), kAdminToken, api.certificates.ca_file());
  CHECK(trusting.get("/api/v1/openapi.json").status == 200);
}

TEST_CASE("api tls: serve mode runs the HTTPS API beside the OCPP node") {
  TlsApi api("serve");
  HttpTestClient admin(api.port(), kAdminToken, api.certificates.ca_file());
  CHECK(admin.get("/api/v1/chargepoints").status == 200);
}

TEST_CASE("api tls: a certificate without a key, or an unreadable one, is refused at start") {
  TestDatabase database;
  TestCertificates certificates;
  const std::map<std::string, std::string> env{{"CHARGELOCK_DATABASE_URL", database.url()}};
  auto [code, output] = ServerProcess::run(
      {"api", "--api-listen", "127.0.0.1:0", "--api-tls-cert", certificates.server().cert}, env);
  CHECK(code == 2);
  CHECK(output.find("--api-tls-key") != std::string::npos);

  auto [code2, output2] =
      ServerProcess::run({"api", "--api-listen", "127.0.0.1:0", "--api-tls-cert",
                          "/nonexistent.pem", "--api-tls-key", certificates.server().key},
                         env);
  CHECK(code2 == 2);
  CHECK(output2.find("--api-tls-cert") != std::string::npos);

  // The variables work like the flags.
  std::map<std::string, std::string> tls_env = env;
  tls_env["CHARGELOCK_API_TLS_CERT"] = certificates.server().cert;
  tls_env["CHARGELOCK_API_TLS_KEY"] = certificates.server().key;
  tls_env["CHARGELOCK_ADMIN_TOKEN"] = kAdminToken;
  ServerProcess server({"api", "--api-listen", "127.0.0.1:0"}, tls_env, {"api"});
  HttpTestClient admin(server.port("api"), kAdminToken, certificates.ca_file());
  CHECK(admin.get("/api/v1/tokens").status == 200);
}
