// --log-format json: every line the server prints is one JSON object, and a
// pile's event names the pile.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "test/support/api_fixture.h"
#include "test/support/ocpp_test_pile.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

TEST_CASE("log format json: one object per line, with the pile's id on a pile's event") {
  ApiFixture api("serve", {"--log-format", "json"});
  REQUIRE(api.admin()
              ->post("/api/v1/chargepoints", R"({"id":"CP-LOG","password":"pile-secret-123456"})")
              .status == 201);
  WsClientOptions options;
  options.basic_user = "CP-LOG";
  options.basic_password = "not-the-password-1";
  OcppTestPile pile("CP-LOG");
  // A wrong password: upgraded, then closed with 1008 once the check (off
  // the loop) failed; the refusal is logged either way.
  CHECK(pile.refused_after_upgrade(
      pile.connect(fmt::format("ws://127.0.0.1:{}", api.server->port("ocpp ws")), options)));

  const bool refused_logged = api.server->output_holds("\"event\":\"pile_refused\"", 5s);
  const std::string output = api.server->output();
  INFO(output);
  CHECK(refused_logged);
  std::istringstream lines(output);
  std::string line;
  int objects = 0;
  bool listening = false;
  while (std::getline(lines, line)) {
    if (line.empty() || line.rfind("[", 0) == 0) continue;  // libwebsockets' own lines
    INFO(line);
    rapidjson::Document json;
    json.Parse(line.c_str());
    REQUIRE(json.IsObject());
    ++objects;
    for (const char* field : {"time", "level", "node", "event", "message"}) {
      INFO(field);
      CHECK(json.HasMember(field));
    }
    const std::string event = json["event"].GetString();
    if (event == "listening") listening = true;
    if (event == "pile_refused") {
      CHECK(std::string(json["chargePointId"].GetString()) == "CP-LOG");
      CHECK(std::string(json["level"].GetString()) == "warn");
    }
  }
  CHECK(listening);
  CHECK(objects >= 3);
}

TEST_CASE("log level warn: the listening lines are still printed, info lines are not") {
  // Scripts (bench/run.sh, scripts/run.sh) and operators wait for "listening"
  // whatever level they chose; the fixture itself finds the ports from them.
  ApiFixture api("serve", {"--log-level", "warn"});
  const std::string output = api.server->output();
  INFO(output);
  CHECK(output.find("chargelock: ocpp ws listening on") != std::string::npos);
  CHECK(output.find("chargelock: api listening on") != std::string::npos);
  CHECK(output.find("admin token registered") == std::string::npos);
}
