// The vehicle lock stores (migration 0004) against a real PostgreSQL.
#include <catch2/catch.hpp>

#include "storage/charge_point_store.h"
#include "storage/database_error.h"
#include "storage/lock_store.h"
#include "storage/notification_store.h"
#include "storage/vehicle_store.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::storage;

namespace {

std::int64_t add_owner(test::TestDatabase& t, const std::string& name) {
  return std::stoll(t.scalar("INSERT INTO owners (name) VALUES ('" + name + "') RETURNING id"));
}

}  // namespace

TEST_CASE("vehicles: VIN and identifiers belong to one owner") {
  test::TestDatabase t;
  auto& vehicles = t.db().vehicles();
  const auto alice = add_owner(t, "alice");
  const auto bob = add_owner(t, "bob");

  auto v = vehicles.put({"WVWZZZ1JZXW000001", alice, {"TAG-A", "TAG-B"}, {"EVCC-A"}});
  CHECK(v.owner_id == alice);
  CHECK(v.id_tags == std::vector<std::string>{"TAG-A", "TAG-B"});
  CHECK(v.evcc_ids == std::vector<std::string>{"EVCC-A"});
  CHECK_FALSE(v.state);

  // Another owner may claim neither the VIN nor a tag.
  CHECK_THROWS_AS(vehicles.put({"WVWZZZ1JZXW000001", bob, {}, {}}), ConflictError);
  CHECK_THROWS_AS(vehicles.put({"WVWZZZ1JZXW000002", bob, {"TAG-A"}, {}}), ConflictError);
  CHECK_FALSE(vehicles.find("WVWZZZ1JZXW000002"));  // rolled back
  // The same owner replaces the identifiers.
  v = vehicles.put({"WVWZZZ1JZXW000001", alice, {"TAG-C"}, {}});
  CHECK(v.id_tags == std::vector<std::string>{"TAG-C"});
  CHECK(vehicles.vin_of({"idTag", "TAG-C"}) == std::optional<std::string>("WVWZZZ1JZXW000001"));
  CHECK_FALSE(vehicles.vin_of({"idTag", "TAG-A"}));
  CHECK(vehicles.find_by_identifier("TAG-C")->vin == "WVWZZZ1JZXW000001");
  CHECK(vehicles.list_for_owner(alice).size() == 1);
  CHECK(vehicles.list_for_owner(bob).empty());

  // Telematics: newer reports win; the prompt mark is claimed once.
  const auto now = Clock::now();
  CHECK(vehicles.report_state(v.vin, {50, GeoLocation{48.1, 11.5}, now}));
  CHECK_FALSE(vehicles.report_state(v.vin, {60, std::nullopt, now - std::chrono::hours(1)}));
  CHECK(vehicles.find(v.vin)->state->soc == 50);
  CHECK(vehicles.claim_low_battery_prompt(v.vin, now));
  CHECK_FALSE(vehicles.claim_low_battery_prompt(v.vin, now));
  CHECK(vehicles.rearm_low_battery_prompt(v.vin));
  CHECK_FALSE(vehicles.rearm_low_battery_prompt(v.vin));
}

TEST_CASE("locks: one active lock per vehicle, audited updates, piles, notifications") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put({"WVWZZZ1JZXW000001", alice, {"TAG-A"}, {}});
  NewChargePoint cp;
  cp.id = "CP-1";
  t.db().charge_points().create(cp);
  auto& locks = t.db().locks();

  auto first = locks.create(
      {"lock-1", "WVWZZZ1JZXW000001", alice, std::nullopt, std::nullopt, "requested by owner"});
  CHECK(first.created);
  CHECK(first.lock.status == "requested");
  auto second = locks.create({"lock-2", "WVWZZZ1JZXW000001", alice, GeoLocation{1, 2}, 5.0, "x"});
  CHECK_FALSE(second.created);
  CHECK(second.lock.id == "lock-1");
  CHECK_THROWS_AS(locks.create({"lock-3", "WVWZZZ1JZXW000009", alice, {}, {}, "x"}), NotFoundError);
  CHECK(locks.active_for_identifier("TAG-A")->id == "lock-1");

  LockUpdate arm;
  arm.lock_id = "lock-1";
  arm.from = {"requested"};
  arm.to = "armed";
  arm.cause = "dispatched";
  CHECK(locks.update(arm)->status == "armed");
  CHECK_FALSE(locks.update(arm));  // no longer requested

  LockUpdate engage;
  engage.lock_id = "lock-1";
  engage.to = "engaged";
  engage.cause = "VehicleLocked";
  engage.charge_point_id = "CP-1";
  engage.connector_id = 2;
  engage.matched_kind = "idTag";
  engage.matched_value = "TAG-A";
  engage.engaged_at = Clock::now();
  auto engaged = locks.update(engage);
  REQUIRE(engaged);
  CHECK(engaged->connector_id == 2);
  CHECK(locks.engaged_at("CP-1").size() == 1);

  LockPileRecord pile;
  pile.lock_id = "lock-1";
  pile.charge_point_id = "CP-1";
  pile.status = "armed";
  locks.put_pile(pile);
  REQUIRE(locks.piles("lock-1").size() == 1);
  CHECK(locks.pile("lock-1", "CP-1")->status == "armed");
  CHECK_FALSE(locks.piles("lock-1")[0].command_status);

  const auto trail = locks.transitions("lock-1");
  REQUIRE(trail.size() == 3);
  CHECK_FALSE(trail[0].from_status);
  CHECK(trail[1].from_status == std::optional<std::string>("requested"));
  CHECK(trail[2].to_status == "engaged");

  auto& notifications = t.db().notifications();
  const auto n1 = notifications.add(alice, "lock_state", R"({"a":1})");
  notifications.add(alice, "vehicle_caught", R"({"b":2})");
  CHECK(notifications.list(alice, 0, 10).size() == 2);
  CHECK(notifications.list(alice, n1.id, 10).size() == 1);
  CHECK_THROWS_AS(notifications.add(alice + 100, "lock_state", "{}"), NotFoundError);
}
