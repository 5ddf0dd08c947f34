// pilesim's command line and scenario files.
#include <catch2/catch.hpp>
#include <vector>

#include "base/pattern.h"
#include "simulators/pilesim/options.h"
#include "simulators/pilesim/scenario.h"

using namespace chargelock::pilesim;

namespace {

Options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "pilesim");
  return parse_options(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("pilesim options: urls, patterns and flags") {
  auto url = parse_url("ws://127.0.0.1:8180/ocpp/");
  REQUIRE(url);
  CHECK_FALSE(url->tls);
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == 8180);
  CHECK(url->path == "/ocpp");
  CHECK(parse_url("wss://csms.example.com/ocpp")->port == 443);
  CHECK(parse_url("ws://[::1]:9000/x")->host == "::1");
  CHECK_FALSE(parse_url("http://h/ocpp"));
  CHECK_FALSE(parse_url("ws://h:99999/ocpp"));
  CHECK(chargelock::base::expand_pattern("SIM-{n}-{n}", 7) == "SIM-7-7");

  const auto options = parse({"--url", "ws://127.0.0.1:8180/ocpp", "--count=3", "--connectors", "2",
                              "--standard-fraction", "0.5", "--busy", "--json"});
  CHECK(options.count == 3);
  CHECK(options.connectors == 2);
  CHECK(options.busy);
  CHECK(options.busy_tags == 0);
  CHECK(options.json);
  CHECK(parse({"--url", "ws://h/o", "--busy", "--busy-tags", "20"}).busy_tags == 20);
  CHECK(parse({"--url", "ws://h/o", "--standard"}).standard_fraction == 1);
  CHECK(parse({"--url", "ws://h/o"}).no_hold_fraction == 0);
  CHECK_FALSE(parse({"--url", "ws://h/o"}).hashed_matching);
  CHECK(parse({"--url", "ws://h/o", "--no-hold"}).no_hold_fraction == 1);
  CHECK(parse({"--url", "ws://h/o", "--no-hold-fraction", "0.25"}).no_hold_fraction == 0.25);
  CHECK(parse({"--url", "ws://h/o", "--hashed-matching"}).hashed_matching);
  CHECK_THROWS_WITH(parse({"--url", "ws://h/o", "--no-hold-fraction", "2"}),
                    Catch::Contains("--no-hold-fraction"));
  CHECK_THROWS_WITH(parse({"--url", "ws://h/o", "--hashed-matching=yes"}),
                    Catch::Contains("takes no value"));
  CHECK_THROWS_WITH(parse({}), Catch::Contains("--url"));
  CHECK_THROWS_WITH(parse({"--url", "ws://h/o", "--count", "0"}), Catch::Contains("--count"));
  CHECK_THROWS_WITH(parse({"--url", "ws://h/o", "--count", "2", "--id-pattern", "CP"}),
                    Catch::Contains("{n}"));
  CHECK_THROWS_WITH(parse({"--url", "ws://h/o", "--cert-pattern", "c.pem"}),
                    Catch::Contains("--key-pattern"));
  CHECK_THROWS_WITH(parse({"--url", "ws://h/o", "--ca", "ca.pem"}), Catch::Contains("wss://"));
  CHECK_THROWS_WITH(parse({"--url", "ws://h/o", "--frobnicate"}), Catch::Contains("--frobnicate"));
}

TEST_CASE("pilesim options: --standard-fraction spreads standard piles evenly") {
  int standard = 0;
  for (int i = 0; i < 1000; ++i) standard += in_even_share(i, 0.25) ? 1 : 0;
  CHECK(standard == 250);
  CHECK_FALSE(in_even_share(0, 0));
  CHECK(in_even_share(0, 1));
}

TEST_CASE("pilesim scenario: a theft-and-catch story parses") {
  const auto scenario = parse_scenario(R"({
    "duration": 90,
    "vehicles": {"stolen": {"vin": "WVWZZZ1JZXW000001", "idTag": "TAG-STOLEN", "soc": 15}},
    "actions": [
      {"at": 20, "action": "unplug", "pile": "SIM-1", "connector": 1},
      {"at": 5, "action": "plug", "pile": 1, "connector": 1, "vehicle": "stolen"},
      {"at": 6, "action": "plug", "pile": 2, "vehicle": {"evccId": "EV-1"}, "autoStart": false},
      {"at": 30, "action": "offline", "pile": 2, "seconds": 10},
      {"at": 40, "action": "drop", "pile": 2}
    ]})");
  CHECK(scenario.duration_s == 90);
  REQUIRE(scenario.actions.size() == 5);
  CHECK(scenario.actions[0].verb == ScenarioVerb::Plug);
  CHECK(scenario.actions[0].vehicle.vin == "WVWZZZ1JZXW000001");
  CHECK(scenario.actions[0].vehicle.soc_percent == 15);
  CHECK(std::get<int>(scenario.actions[0].pile) == 1);
  CHECK_FALSE(scenario.actions[1].auto_start);
  CHECK(scenario.actions[2].verb == ScenarioVerb::Unplug);
  CHECK(std::get<std::string>(scenario.actions[2].pile) == "SIM-1");
  CHECK(scenario.actions[3].seconds == 10);
}

TEST_CASE("pilesim scenario: mistakes are named") {
  CHECK_THROWS_WITH(parse_scenario("{"), Catch::Contains("JSON"));
  CHECK_THROWS_WITH(parse_scenario(R"({"actions":[{"at":1,"action":"fly","pile":1}]})"),
                    Catch::Contains("actions[0].action"));
  CHECK_THROWS_WITH(parse_scenario(R"({"actions":[{"at":1,"action":"plug","pile":1}]})"),
                    Catch::Contains("actions[0].vehicle"));
  CHECK_THROWS_WITH(
      parse_scenario(R"({"actions":[{"at":1,"action":"plug","pile":1,"vehicle":"ghost"}]})"),
      Catch::Contains("ghost"));
  CHECK_THROWS_WITH(parse_scenario(R"({"actions":[{"at":1,"action":"offline","pile":1}]})"),
                    Catch::Contains("seconds"));
  CHECK_THROWS_WITH(
      parse_scenario(R"({"actions":[{"at":1,"action":"stop","pile":1,"connector":0}]})"),
      Catch::Contains("connector"));
}
