// Vehicle registration, notifications and the telematics low-battery prompt
// against a real PostgreSQL.
#include <atomic>
#include <catch2/catch.hpp>

#include "core/domain_errors.h"
#include "core/lock_codec.h"
#include "core/vehicle_identity.h"
#include "test/integration/core_lock_fixture.h"

using namespace chargelock;
using namespace chargelock::test;

TEST_CASE("VIN rules: 17 characters, no I, O or Q") {
  CHECK(core::VehicleService::valid_vin("WVWZZZ1JZXW000001"));
  CHECK(core::VehicleService::valid_vin("wvwzzz1jzxw000001"));
  CHECK_FALSE(core::VehicleService::valid_vin("WVWZZZ1JZXW00001"));
  CHECK_FALSE(core::VehicleService::valid_vin("WVWZZZ1JZXW0000012"));
  CHECK_FALSE(core::VehicleService::valid_vin("WVWZZZ1JZXW00000I"));
  CHECK_FALSE(core::VehicleService::valid_vin("WVWZZZ1JZXW00000O"));
  CHECK_FALSE(core::VehicleService::valid_vin("WVWZZZ1JZXW00000Q"));
  CHECK_FALSE(core::VehicleService::valid_vin("WVWZZZ1JZXW00000-"));
}

TEST_CASE_METHOD(LockFixture, "vehicle registration: claims, assigned id tags, verification") {
  auto& vehicles = central->vehicles();
  const auto alice = owner("alice");
  const auto bob = owner("bob");
  assign_tag("TAG-A", alice);
  assign_tag("TAG-B", alice);

  bool created = false;
  auto v = vehicles.register_vehicle({alice, "wvwzzz1jzxw000001", {"TAG-A", "TAG-A"}, {"EV-1"}},
                                     &created);
  CHECK(created);
  CHECK(v.vin == "WVWZZZ1JZXW000001");
  CHECK(v.id_tags == std::vector<std::string>{"TAG-A"});
  CHECK_FALSE(v.verified);

  CHECK_THROWS_AS(vehicles.register_vehicle({alice, "WVWZZZ1JZXW00000I", {}, {}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      vehicles.register_vehicle({alice, "WVWZZZ1JZXW000002", {std::string(21, 'x')}, {}}),
      std::invalid_argument);
  // A card the operator did not assign to the owner: 403 naming it.
  try {
    vehicles.register_vehicle({bob, "WVWZZZ1JZXW000002", {"TAG-A"}, {}});
    FAIL("a stranger's card was accepted");
  } catch (const core::ForbiddenError& e) {
    CHECK(std::string(e.what()).find("TAG-A") != std::string::npos);
  }
  CHECK_THROWS_AS(vehicles.register_vehicle({bob, "WVWZZZ1JZXW000002", {"UNKNOWN"}, {}}),
                  core::ForbiddenError);
  // Another owner's registration of the VIN is a claim, not a conflict.
  auto claim = vehicles.register_vehicle({bob, "WVWZZZ1JZXW000001", {}, {"EV-1"}}, &created);
  CHECK(created);
  CHECK(vehicles.registrations("WVWZZZ1JZXW000001").size() == 2);
  CHECK_THROWS_AS(vehicles.register_vehicle({alice + bob + 7, "WVWZZZ1JZXW000003", {}, {}}),
                  core::NotFoundError);

  // Verification: with two claims the operator names the owner; a
  // telematics platform only for its own VINs.
  CHECK_THROWS_AS(vehicles.verify("WVWZZZ1JZXW000001", std::nullopt, {"operator:noc", {}}),
                  core::ConflictError);
  CHECK_THROWS_AS(
      vehicles.verify("WVWZZZ1JZXW000001", alice,
                      {"telematics:oem", std::vector<std::string>{"WVWZZZ1JZXW000009"}}),
      core::ForbiddenError);
  v = vehicles.verify("wvwzzz1jzxw000001", alice,
                      {"telematics:oem", std::vector<std::string>{"WVWZZZ1JZXW000001"}});
  CHECK(v.verified);
  CHECK(v.verified_by == std::optional<std::string>("telematics:oem"));
  CHECK_FALSE(vehicles.owned(bob, "WVWZZZ1JZXW000001").verified);

  // The owner's own update replaces the identifiers.
  v = vehicles.register_vehicle({alice, "WVWZZZ1JZXW000001", {"TAG-B"}, {}}, &created);
  CHECK_FALSE(created);
  CHECK(v.id_tags == std::vector<std::string>{"TAG-B"});

  CHECK(vehicles.list(alice).size() == 1);
  CHECK(vehicles.owned(alice, "WVWZZZ1JZXW000001").vin == "WVWZZZ1JZXW000001");
  CHECK_THROWS_AS(vehicles.owned(owner("carol"), "WVWZZZ1JZXW000001"), core::ForbiddenError);
  CHECK_THROWS_AS(vehicles.owned(bob, "WVWZZZ1JZXW000009"), core::NotFoundError);

  // Deleting: the registration goes; a vehicle under an active lock stays.
  vehicles.remove(bob, "WVWZZZ1JZXW000001");
  CHECK(vehicles.registrations("WVWZZZ1JZXW000001").size() == 1);
  central->locks().request_lock({alice, "WVWZZZ1JZXW000001", {}});
  CHECK_THROWS_AS(vehicles.remove(alice, "WVWZZZ1JZXW000001"), core::ConflictError);
}

TEST_CASE_METHOD(LockFixture, "EVCC ids match in every Autocharge form, VINs as id tags too") {
  CHECK(core::evcc_match_key("VID:00:1A:2B:3C:4D:5E") == "001A2B3C4D5E");
  CHECK(core::evcc_match_key("vid:001a2b3c4d5e") == "001A2B3C4D5E");
  CHECK(core::evcc_match_key("00-1a-2b-3c-4d-5e") == "001A2B3C4D5E");
  CHECK(core::evcc_match_key("001A2B3C4D5E") == "001A2B3C4D5E");

  const auto alice = owner("alice");
  vehicle(alice, "WVWZZZ1JZXW000001", {}, {"VID:00:1A:2B:3C:4D:5E"});
  pile("CP-1");
  central->locks().request_lock({alice, "WVWZZZ1JZXW000001", {}});
  core::AuthorizationContext authorize{"CP-1", std::nullopt, std::nullopt, true};
  for (const char* form :
       {"VID:001A2B3C4D5E", "001a2b3c4d5e", "00:1A:2B:3C:4D:5E", "wvwzzz1jzxw000001"})
    CHECK(central->authorization().authorize(authorize, form).status ==
          core::AuthorizationStatus::Blocked);
  CHECK(central->authorization().authorize(authorize, "001A2B3C4D5F").status ==
        core::AuthorizationStatus::Invalid);
}

TEST_CASE_METHOD(LockFixture, "an unverified vehicle cannot be locked, telematics are scoped") {
  const auto alice = owner("alice");
  central->vehicles().register_vehicle({alice, "WVWZZZ1JZXW000001", {}, {"EV-1"}});
  try {
    central->locks().request_lock({alice, "WVWZZZ1JZXW000001", {}});
    FAIL("an unverified vehicle was locked");
  } catch (const core::ForbiddenError& e) {
    CHECK(std::string(e.what()).find("not verified") != std::string::npos);
  }
  auto& telematics = central->telematics();
  const core::GeoLocation here{48.1, 11.5};
  // Reports are stored, but an unverified claim shows no position.
  CHECK(telematics.report({"WVWZZZ1JZXW000001", 10, here, core::Clock::now()}).stored);
  CHECK_FALSE(central->vehicles().owned(alice, "WVWZZZ1JZXW000001").state);
  CHECK(central->notifications().list(alice, 0).empty());  // no prompt to a claim
  // A timestamp more than 5 minutes ahead is refused.
  CHECK_THROWS_AS(telematics.report({"WVWZZZ1JZXW000001", 10, here,
                                     core::Clock::now() + std::chrono::minutes(6)}),
                  std::invalid_argument);
  // A platform reports only its own VINs.
  core::TelematicsStatus other{"WVWZZZ1JZXW000001", 10, here, core::Clock::now(),
                               std::vector<std::string>{"WVWZZZ1JZXW000002"}};
  CHECK_THROWS_AS(telematics.report(other), core::ForbiddenError);
}

TEST_CASE_METHOD(LockFixture, "notifications: stored per owner, since a cursor, and streamed") {
  auto& notifications = central->notifications();
  const auto alice = owner("alice");
  const auto bob = owner("bob");
  std::atomic<int> seen{0};
  {
    auto subscription = notifications.subscribe(alice, [&](const core::Notification& n) {
      CHECK(n.owner_id == alice);
      ++seen;
    });
    const auto first = notifications.notify(alice, "lock_state", R"({"n":1})");
    notifications.notify(bob, "lock_state", R"({"n":2})");
    notifications.notify(alice, "vehicle_caught", R"({"n":3})");
    CHECK(seen == 2);
    CHECK(notifications.list(alice, 0).size() == 2);
    const auto after = notifications.list(alice, first.id);
    REQUIRE(after.size() == 1);
    CHECK(after[0].kind == "vehicle_caught");
  }
  notifications.notify(alice, "lock_state", "{}");
  CHECK(seen == 2);  // unsubscribed
}

TEST_CASE("telematics: one low-battery prompt per drop below the threshold") {
  LockFixture f(25);
  const auto alice = f.owner("alice");
  f.vehicle(alice, "WVWZZZ1JZXW000001", {"TAG-A"});
  auto& telematics = f.central->telematics();
  const auto t0 = core::Clock::now() - std::chrono::minutes(10);
  auto at = [&](int minute) { return t0 + std::chrono::minutes(minute); };
  const core::GeoLocation here{48.1, 11.5};

  CHECK_FALSE(telematics.report({"WVWZZZ1JZXW000001", 60, here, at(0)}).prompted);
  CHECK(telematics.report({"WVWZZZ1JZXW000001", 24, here, at(1)}).prompted);
  CHECK_FALSE(telematics.report({"WVWZZZ1JZXW000001", 20, here, at(2)}).prompted);
  CHECK_FALSE(telematics.report({"WVWZZZ1JZXW000001", 12, here, at(3)}).prompted);
  auto prompts = f.central->notifications().list(alice, 0);
  REQUIRE(prompts.size() == 1);
  CHECK(prompts[0].kind == "low_battery");
  CHECK(prompts[0].body_json.find(R"("offersLock":true)") != std::string::npos);
  CHECK(prompts[0].body_json.find(R"("vin":"WVWZZZ1JZXW000001")") != std::string::npos);

  // An old report changes nothing; a rise above the threshold re-arms.
  CHECK_FALSE(telematics.report({"WVWZZZ1JZXW000001", 90, here, at(0)}).stored);
  CHECK_FALSE(telematics.report({"WVWZZZ1JZXW000001", 80, here, at(4)}).prompted);
  CHECK(telematics.report({"WVWZZZ1JZXW000001", 10, std::nullopt, at(5)}).prompted);
  CHECK(f.central->notifications().list(alice, 0).size() == 2);
  const auto vehicle = f.central->vehicles().find("WVWZZZ1JZXW000001");
  CHECK(vehicle->state->soc == 10);

  CHECK_THROWS_AS(telematics.report({"WVWZZZ1JZXW000001", 101, here, at(6)}),
                  std::invalid_argument);
  CHECK_THROWS_AS(telematics.report({"WVWZZZ1JZXW000009", 10, here, at(6)}), core::NotFoundError);
}

TEST_CASE("lock codec: the wire format of SPEC §4") {
  using namespace core::lock_codec;
  CHECK(lock_vehicle_payload("L1", "WVWZZZ1JZXW000001", {"T1"}, {"E1"}) ==
        R"({"vendorId":"org.chargelock","messageId":"LockVehicle","data":"{\"lockId\":\"L1\",)"
        R"(\"vin\":\"WVWZZZ1JZXW000001\",\"idTags\":[\"T1\"],\"evccIds\":[\"E1\"]}"})");
  CHECK(
      unlock_vehicle_payload("L1") ==
      R"({"vendorId":"org.chargelock","messageId":"UnlockVehicle","data":"{\"lockId\":\"L1\"}"})");
  std::string error;
  auto locked = parse_vehicle_locked(R"({"lockId":"L1","connectorId":2,"evccId":"E1"})", &error);
  REQUIRE(locked);
  CHECK(locked->connector_id == 2);
  CHECK(locked->matched_kind == "evccId");
  CHECK_FALSE(parse_vehicle_locked(R"({"lockId":"L1","connectorId":2})", &error));
  CHECK_FALSE(parse_vehicle_locked(R"({"lockId":"L1","connectorId":0,"vin":"x"})", &error));
  CHECK_FALSE(parse_vehicle_locked("not json", &error));
  CHECK(status_of(R"({"status":"Accepted"})") == std::optional<std::string>("Accepted"));
}
