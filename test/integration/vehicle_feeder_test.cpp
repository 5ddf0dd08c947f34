// vehicle-feeder against a running chargelock: its reports become the
// vehicles' last known state, and a vehicle whose battery drains below 20 %
// gets its owner one low-battery prompt.
#include <catch2/catch.hpp>
#include <cstdio>

#include "test/support/api_fixture.h"
#include "test/support/child_command.h"
#include "test/support/test_certificates.h"

using namespace chargelock;
using namespace chargelock::test;

namespace {

// Runs vehicle-feeder to completion; returns {exit code, output}.
std::pair<int, std::string> run_feeder(const std::vector<std::string>& args) {
  return run_command(shell_command(VEHICLE_FEEDER_BINARY, args) + " 2>&1");
}

struct Setup {
  std::string owner;
  std::string telematics;
};

// `scoped`: the telematics token is scoped to the fleet's VINs and
// confirms them as the owner's; otherwise an unscoped token (every VIN) and
// the operator verifies.
Setup register_fleet(HttpTestClient& admin, HttpTestClient& owner_client,
                     const std::vector<std::string>& vins, bool scoped = true) {
  Setup setup;
  auto owner = admin.post("/api/v1/owners", R"({"name":"Fleet owner"})");
  REQUIRE(owner.status == 201);
  setup.owner = string_member(owner, "token");
  // The platform's token is scoped to its VINs; it confirms that they are
  // this owner's (the OEM cloud knows which account owns which car).
  std::string scope;
  for (const auto& vin : vins) scope += (scope.empty() ? "\"" : ",\"") + vin + "\"";
  auto token = admin.post("/api/v1/tokens",
                          scoped ? R"({"role":"telematics","name":"feeder","vins":[)" + scope + "]}"
                                 : R"({"role":"telematics","name":"feeder"})");
  REQUIRE(token.status == 201);
  setup.telematics = string_member(token, "token");
  owner_client.set_token(setup.owner);
  for (const auto& vin : vins)
    REQUIRE(owner_client.post("/api/v1/vehicles", R"({"vin":")" + vin + R"("})").status == 201);
  HttpTestClient& verifier = scoped ? owner_client : admin;
  if (scoped) owner_client.set_token(setup.telematics);
  for (const auto& vin : vins)
    REQUIRE(verifier.post("/api/v1/vehicles/" + vin + "/verify", "").status == 200);
  owner_client.set_token(setup.owner);
  return setup;
}

}  // namespace

TEST_CASE("vehicle-feeder: reports are stored and a draining battery prompts the owner once") {
  ApiFixture api;
  auto admin = api.admin();
  auto owner = api.client();
  const std::vector<std::string> vins = {"5YJSA1E2000000001", "5YJSA1E2000000002"};
  const Setup setup = register_fleet(*admin, *owner, vins);

  // 24 % at start, 6 % per second: below 20 % within a second.
  auto [code, output] = run_feeder({"--url", "http://127.0.0.1:" + std::to_string(api.port()),
                                    "--token", setup.telematics, "--count", "2", "--vin-pattern",
                                    "5YJSA1E2{n}", "--interval", "0.2", "--duration", "2.5",
                                    "--start-soc", "24", "--drain-rate", "360", "--json"});
  INFO(output);
  REQUIRE(code == 0);
  CHECK(output.find("\"refused\":0") != std::string::npos);
  CHECK(output.find("\"prompts\":2") != std::string::npos);

  auto listed = owner->get("/api/v1/vehicles").json();
  REQUIRE(listed["vehicles"].Size() == 2);
  for (const auto& vehicle : listed["vehicles"].GetArray()) {
    INFO(vehicle["vin"].GetString());
    REQUIRE(vehicle["lastState"].IsObject());
    CHECK(vehicle["lastState"]["soc"].GetDouble() < 20);
    CHECK(vehicle["lastState"]["soc"].GetDouble() >= 0);
    REQUIRE(vehicle["lastState"]["location"].IsObject());
    // Near the default start area (Berlin), and moved a little.
    CHECK(vehicle["lastState"]["location"]["lat"].GetDouble() == Approx(52.52).margin(0.2));
    CHECK(vehicle["lastState"]["location"]["lon"].GetDouble() == Approx(13.405).margin(0.3));
    CHECK_FALSE(vehicle["lowBatteryPromptedAt"].IsNull());
  }

  auto notifications = owner->get("/api/v1/notifications").json();
  int prompts = 0;
  for (const auto& n : notifications["notifications"].GetArray())
    if (std::string(n["kind"].GetString()) == "low_battery") ++prompts;
  CHECK(prompts == 2);  // one per vehicle, not one per report
}

TEST_CASE("vehicle-feeder: HTTPS with --ca, unknown vehicles and bad tokens") {
  TestDatabase database;
  TestCertificates certificates;
  ServerProcess server(
      {"api", "--api-listen", "127.0.0.1:0", "--api-tls-cert", certificates.server().cert,
       "--api-tls-key", certificates.server().key},
      {{"CHARGELOCK_DATABASE_URL", database.url()}, {"CHARGELOCK_ADMIN_TOKEN", kAdminToken}},
      {"api"});
  const int port = server.port("api");
  HttpTestClient admin(port, kAdminToken, certificates.ca_file());
  HttpTestClient owner(port, "", certificates.ca_file());
  const Setup setup = register_fleet(admin, owner, {"5YJSA1E2000000001"}, false);
  const std::string url = "https://127.0.0.1:" + std::to_string(port);

  // Vehicle 1 is registered, vehicle 2 is not (404s are counted, not fatal).
  auto [code, output] =
      run_feeder({"--url", url, "--ca", certificates.ca_file(), "--token", setup.telematics,
                  "--count", "2", "--interval", "0.5", "--duration", "1", "--json", "--quiet"});
  INFO(output);
  CHECK(code == 0);
  CHECK(output.find("\"refusedByStatus\":{\"404\":") != std::string::npos);
  auto vehicle = owner.get("/api/v1/vehicles/5YJSA1E2000000001").json();
  CHECK(vehicle["lastState"]["soc"].GetDouble() > 70);  // default 80 ± 5, slow drain

  // Without the CA the server is not trusted.
  auto [untrusted, untrusted_output] =
      run_feeder({"--url", url, "--ca", certificates.untrusted_ca_file(), "--token",
                  setup.telematics, "--duration", "0.5", "--interval", "0.2", "--json"});
  CHECK(untrusted == 1);
  CHECK(untrusted_output.find("TLS") != std::string::npos);

  // A token of the wrong role stops the feeder at once.
  auto [refused, refused_output] =
      run_feeder({"--url", url, "--ca", certificates.ca_file(), "--token", setup.owner});
  CHECK(refused == 1);
  CHECK(refused_output.find("refused") != std::string::npos);

  // Bad options.
  CHECK(run_feeder({"--token", "x", "--count", "0"}).first == 2);
  CHECK(run_feeder({"--count", "1"}).first == 2);  // no token
  CHECK(run_feeder({"--token", "x", "--url", "ftp://x"}).first == 2);
  CHECK(run_feeder({"--token", "x", "--url", url}).first == 2);  // https without --ca
}
