// `chargelock api` and `chargelock ocpp` as two processes sharing only the
// database: a pile registered through the API connects to the OCPP node,
// and a command queued through the API reaches it.
#include <catch2/catch.hpp>

#include "test/support/api_fixture.h"
#include "test/support/eventually.h"
#include "test/support/ocpp_test_pile.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

TEST_CASE("api: a charge point registered through the API process connects to the OCPP process") {
  ApiFixture api("api");
  ServerProcess ocpp({"ocpp", "--ocpp-listen", "127.0.0.1:0"}, api.env(), {"ocpp ws"});
  CHECK(api.server->output().find("ocpp ws listening") == std::string::npos);
  CHECK(ocpp.output().find("api listening") == std::string::npos);
  const std::string url = fmt::format("ws://127.0.0.1:{}", ocpp.port("ocpp ws"));
  auto admin = api.admin();

  REQUIRE(admin->post("/api/v1/chargepoints", R"({"id":"CP-API","password":"pile-secret-123456"})")
              .status == 201);

  // The node learns of the pile at its next directory refresh.
  WsClientOptions options;
  options.basic_user = "CP-API";
  options.basic_password = "pile-secret-123456";
  const auto connected = connect_when_known(url, "CP-API", options);
  INFO(ocpp.output());
  REQUIRE(connected);
  OcppTestPile& pile = *connected;
  pile.call_ok("BootNotification", R"({"chargePointVendor":"V","chargePointModel":"M"})");

  // The API process sees what the OCPP process recorded.
  CHECK(eventually(
      [&] {
        auto cp = admin->get("/api/v1/chargepoints/CP-API").json();
        return cp["online"].GetBool() && cp["bootInfo"].IsObject();
      },
      5s, 100ms));

  // A command queued through the API reaches the pile through the database.
  auto queued = admin->post(
      "/api/v1/chargepoints/CP-API/commands",
      R"({"action":"ChangeAvailability","payload":{"connectorId":0,"type":"Inoperative"}})");
  REQUIRE(queued.status == 202);
  const auto command_id = queued.json()["commandId"].GetInt64();
  auto call = pile.client().receive(10s);
  REQUIRE(call);
  rapidjson::Document frame;
  frame.Parse(call->c_str());
  REQUIRE(frame.IsArray());
  REQUIRE(frame[0].GetInt() == 2);
  CHECK(std::string(frame[2].GetString()) == "ChangeAvailability");
  REQUIRE(pile.client().send_text(std::string("[3,\"") + frame[1].GetString() +
                                  "\",{\"status\":\"Accepted\"}]"));

  std::string status;
  std::string response_status;
  eventually(
      [&] {
        auto command = admin->get("/api/v1/commands/" + std::to_string(command_id)).json();
        status = command["status"].GetString();
        if (status != "completed") return false;
        response_status = command["response"]["status"].GetString();
        return true;
      },
      10s, 100ms);
  CHECK(status == "completed");
  if (status == "completed") CHECK(response_status == "Accepted");

  // The message log of the OCPP process is readable through the API.
  CHECK(eventually(
      [&] {
        return admin->get("/api/v1/chargepoints/CP-API/messages").json()["messages"].Size() >= 2;
      },
      5s, 100ms));
}

TEST_CASE("api: `chargelock serve` runs OCPP and the API in one process") {
  ApiFixture serve("serve");
  CHECK(serve.server->port("ocpp ws") > 0);
  CHECK(serve.admin()->get("/api/v1/chargepoints").status == 200);
  CHECK(serve.server->stop() == 0);
}
