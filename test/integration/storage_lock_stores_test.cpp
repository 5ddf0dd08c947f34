// The vehicle lock stores (migration 0004) against a real PostgreSQL.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <tuple>

#include "core/domain_errors.h"
#include "core/lock_rules.h"
#include "core/stores/api_token_store.h"
#include "core/stores/charge_point_store.h"
#include "core/stores/command_store.h"
#include "core/stores/lock_store.h"
#include "core/stores/notification_store.h"
#include "core/stores/vehicle_store.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::core;
using chargelock::storage::Database;

namespace {

std::int64_t add_owner(test::TestDatabase& t, const std::string& name) {
  return std::stoll(t.scalar("INSERT INTO owners (name) VALUES ('" + name + "') RETURNING id"));
}

// lock-1's LockVehicle for `piles` (a DataTransfer with `payload`).
LockDelivery lock_vehicle_of(std::vector<std::string> piles, const std::string& payload,
                             Timestamp expires) {
  LockDelivery delivery;
  delivery.lock_id = "lock-1";
  delivery.charge_point_ids = std::move(piles);
  delivery.action = "DataTransfer";
  delivery.payload_json = payload;
  delivery.origin = "lock:lock-1";
  delivery.expires_at = expires;
  return delivery;
}

}  // namespace

NewVehicle claim(const std::string& vin, std::int64_t owner, std::vector<std::string> tags,
                 std::vector<std::string> evcc = {}) {
  NewVehicle v;
  v.vin = vin;
  v.owner_id = owner;
  for (const auto& tag : tags) v.identifiers.push_back({"idTag", tag, tag});
  for (const auto& id : evcc) v.identifiers.push_back({"evccId", id, id});
  return v;
}

TEST_CASE("vehicles: claims by several owners, one verified binding, evidence kept on delete") {
  test::TestDatabase t;
  auto& vehicles = t.db().vehicles();
  const auto alice = add_owner(t, "alice");
  const auto bob = add_owner(t, "bob");

  auto v = vehicles.put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A", "TAG-B"}, {"EVCC-A"}));
  CHECK(v.owner_id == alice);
  CHECK_FALSE(v.verified);
  CHECK(v.id_tags == std::vector<std::string>{"TAG-A", "TAG-B"});
  CHECK(v.evcc_ids == std::vector<std::string>{"EVCC-A"});
  CHECK_FALSE(v.state);
  CHECK_FALSE(vehicles.find(v.vin));  // nobody's until verified
  CHECK(vehicles.known(v.vin));

  // A second owner's registration is a claim, not a conflict; it may list
  // the same EVCC id.
  const auto b = vehicles.put(claim("WVWZZZ1JZXW000001", bob, {}, {"EVCC-A"}));
  CHECK(b.owner_id == bob);
  CHECK(vehicles.registrations(v.vin).size() == 2);
  // One owner cannot put one identifier on two of their vehicles.
  CHECK_THROWS_AS(vehicles.put(claim("WVWZZZ1JZXW000002", alice, {"TAG-A"})), RowConflictError);
  CHECK_FALSE(vehicles.known("WVWZZZ1JZXW000002"));  // rolled back

  // Verification binds one claim; another verification moves the binding.
  v = vehicles.verify(v.vin, alice, "operator:noc");
  CHECK(v.verified);
  CHECK(v.verified_by == std::optional<std::string>("operator:noc"));
  CHECK(vehicles.find(v.vin)->owner_id == alice);
  CHECK_FALSE(vehicles.find_registration(v.vin, bob)->verified);
  CHECK(vehicles.find_verified_by_key("EVCC-A").size() == 1);
  CHECK_THROWS_AS(vehicles.verify("WVWZZZ1JZXW000001", add_owner(t, "carol"), "x"),
                  RowNotFoundError);
  // A second vehicle whose identifier is on a verified vehicle cannot be
  // verified for another owner.
  const auto dave = add_owner(t, "dave");
  vehicles.put(claim("WVWZZZ1JZXW000003", dave, {}, {"EVCC-A"}));
  CHECK_THROWS_AS(vehicles.verify("WVWZZZ1JZXW000003", dave, "x"), RowConflictError);

  // The same owner replaces the identifiers.
  v = vehicles.put(claim("WVWZZZ1JZXW000001", alice, {"TAG-C"}));
  CHECK(v.id_tags == std::vector<std::string>{"TAG-C"});
  CHECK(v.verified);
  CHECK(vehicles.list_for_owner(alice).size() == 1);
  CHECK(vehicles.list_for_owner(bob).size() == 1);

  // Telematics: newer reports win; the prompt mark is claimed once.
  const auto now = Clock::now();
  CHECK(vehicles.report_state(v.vin, {50, GeoLocation{48.1, 11.5}, now}));
  CHECK_FALSE(vehicles.report_state(v.vin, {60, std::nullopt, now - std::chrono::hours(1)}));
  CHECK(vehicles.find(v.vin)->state->soc == 50);
  CHECK(vehicles.claim_low_battery_prompt(v.vin, now));
  CHECK_FALSE(vehicles.claim_low_battery_prompt(v.vin, now));
  CHECK(vehicles.rearm_low_battery_prompt(v.vin));
  CHECK_FALSE(vehicles.rearm_low_battery_prompt(v.vin));

  // Deleting the verified registration ends the binding; the vehicle row
  // (which locks and their evidence hang on) stays.
  CHECK(vehicles.remove_registration(v.vin, alice));
  CHECK_FALSE(vehicles.find(v.vin));
  CHECK(vehicles.known(v.vin));  // bob's claim
  CHECK(t.scalar("SELECT count(*) FROM vehicles WHERE vin = 'WVWZZZ1JZXW000001'") == "1");
}

TEST_CASE("locks: one active lock per vehicle, audited updates, piles, notifications") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A"}));
  NewChargePoint cp;
  cp.id = "CP-1";
  t.db().charge_points().create(cp);
  auto& locks = t.db().locks();

  const auto expires = Clock::now() + std::chrono::hours(24 * 30);
  auto first = locks.create({"lock-1", "WVWZZZ1JZXW000001", alice, std::nullopt, std::nullopt,
                             expires, std::nullopt, "requested by owner"});
  CHECK(first.created);
  CHECK(first.lock.status == LockStatus::Requested);
  auto second = locks.create(
      {"lock-2", "WVWZZZ1JZXW000001", alice, GeoLocation{1, 2}, 5.0, expires, std::nullopt, "x"});
  CHECK_FALSE(second.created);
  CHECK(second.lock.id == "lock-1");
  CHECK_THROWS_AS(
      locks.create({"lock-3", "WVWZZZ1JZXW000009", alice, {}, {}, expires, std::nullopt, "x"}),
      RowNotFoundError);
  CHECK(locks.active_for_identifier({"TAG-A", "TAG-A", "TAG-A"})->id == "lock-1");
  CHECK(locks.active_for_identifier({"x", "x", "WVWZZZ1JZXW000001"})->id == "lock-1");  // VIN
  CHECK_FALSE(locks.active_for_identifier({"TAG-B", "TAG-B", "TAG-B"}));
  CHECK(locks.requested_since("WVWZZZ1JZXW000001", Clock::now() - std::chrono::hours(1)) == 1);
  CHECK(locks.expiring_before(Clock::now()).empty());
  CHECK(locks.expiring_before(expires + std::chrono::seconds(1)).size() == 1);

  LockUpdate arm;
  arm.lock_id = "lock-1";
  arm.from = {LockStatus::Requested};
  arm.to = LockStatus::Armed;
  arm.cause = "dispatched";
  CHECK(locks.update(arm)->status == LockStatus::Armed);
  CHECK_FALSE(locks.update(arm));  // no longer requested

  LockUpdate engage;
  engage.lock_id = "lock-1";
  engage.to = LockStatus::Engaged;
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

  LockPile pile;
  pile.lock_id = "lock-1";
  pile.charge_point_id = "CP-1";
  pile.status = PileStatus::Armed;
  locks.put_pile(pile);
  REQUIRE(locks.piles("lock-1").size() == 1);
  CHECK(locks.pile("lock-1", "CP-1")->status == PileStatus::Armed);
  CHECK_FALSE(locks.piles("lock-1")[0].command_status);

  const auto trail = locks.transitions("lock-1");
  REQUIRE(trail.size() == 3);
  CHECK_FALSE(trail[0].from_status);
  CHECK(trail[1].from_status == std::optional<LockStatus>(LockStatus::Requested));
  CHECK(trail[2].to_status == LockStatus::Engaged);

  auto& notifications = t.db().notifications();
  const auto n1 = notifications.add(alice, "lock_state", R"({"a":1})");
  notifications.add(alice, "vehicle_caught", R"({"b":2})");
  CHECK(notifications.list(alice, 0, 10).size() == 2);
  CHECK(notifications.list(alice, n1.id, 10).size() == 1);
  CHECK_THROWS_AS(notifications.add(alice + 100, "lock_state", "{}"), RowNotFoundError);
  // The operators' inbox (owner 0) exists from the migration.
  notifications.add(0, "vehicle_sighted", R"({"c":3})");
  CHECK(notifications.list(0, 0, 10).size() == 1);
}

TEST_CASE("locks: sightings are evidence that outlives the vehicle's registration and the pile") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A"}));
  NewChargePoint cp;
  cp.id = "CP-1";
  cp.location = GeoLocation{48.1, 11.5};
  t.db().charge_points().create(cp);
  auto& locks = t.db().locks();
  locks.create({"lock-1", "WVWZZZ1JZXW000001", alice, std::nullopt, std::nullopt,
                Clock::now() + std::chrono::hours(1), std::string("POL-42"), "x"});
  CHECK(locks.find("lock-1")->case_reference == std::optional<std::string>("POL-42"));

  NewSighting first;
  first.lock_id = "lock-1";
  first.charge_point_id = "CP-1";
  first.connector_id = 1;
  first.source = "VehicleLocked";
  first.matched_kind = "idTag";
  first.matched_value = "TAG-A";
  first.held = false;
  const auto seen = locks.add_sighting(first);
  CHECK(seen.location->latitude == 48.1);  // where the pile stood then
  NewSighting second = first;
  second.charge_point_id = "CP-GONE";  // an unknown pile: recorded without a place
  second.source = "Authorize";
  second.connector_id.reset();
  locks.add_sighting(second);

  LockFilter by_pile;
  by_pile.charge_point_id = "CP-GONE";
  CHECK(locks.list(by_pile).size() == 1);
  LockFilter by_status;
  by_status.status = LockStatus::Released;
  CHECK(locks.list(by_status).empty());

  // The owner deletes the vehicle, the operator removes the pile: the lock,
  // its trail and sightings remain.
  t.db().vehicles().remove_registration("WVWZZZ1JZXW000001", alice);
  t.db().charge_points().remove("CP-1");
  REQUIRE(locks.find("lock-1"));
  const auto sightings = locks.sightings("lock-1");
  REQUIRE(sightings.size() == 2);
  CHECK(sightings[0].held == false);
  CHECK(sightings[0].location);
  CHECK_FALSE(sightings[1].location);
  CHECK(locks.transitions("lock-1").size() == 1);
}

TEST_CASE("locks: a fan-out queues one command per pile and records it on the pile's row") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A"}));
  for (const char* id : {"CP-1", "CP-2", "CP-3"}) {
    NewChargePoint cp;
    cp.id = id;
    t.db().charge_points().create(cp);
  }
  auto& locks = t.db().locks();
  locks.set_hashed_matching("CP-2", true);
  const auto expires = Clock::now() + std::chrono::hours(24);
  locks.create({"lock-1", "WVWZZZ1JZXW000001", alice, std::nullopt, std::nullopt, expires,
                std::nullopt, "requested by owner"});
  LockPile before;  // armed at its boot, before the fan-out
  before.lock_id = "lock-1";
  before.charge_point_id = "CP-3";
  locks.put_pile(before);

  LockDelivery lock_vehicle =
      lock_vehicle_of({"CP-1", "CP-2", "CP-3", "CP-REMOVED"}, R"({"clear":true})", expires);
  lock_vehicle.hashed_payload_json = R"({"hashed":true})";
  // The dispatchers are woken once, with the batch's command ids.
  auto wakeups = t.db().commands().listen();
  const auto next_wakeups = [&] {
    std::vector<std::string> woken;
    for (int i = 0; i < 30 && woken.empty(); ++i)
      woken = wakeups->wait(std::chrono::milliseconds(100));
    return woken;
  };
  CHECK(wakeups->wait(std::chrono::milliseconds(100)).empty());  // listening from here
  auto queued = locks.queue_lock_vehicle(lock_vehicle).charge_point_ids;
  std::sort(queued.begin(), queued.end());
  CHECK(queued == std::vector<std::string>{"CP-1", "CP-2"});
  CHECK(locks.queue_lock_vehicle(lock_vehicle).charge_point_ids.empty());  // one per pile
  const auto one = locks.pile("lock-1", "CP-1");
  const auto two = locks.pile("lock-1", "CP-2");
  REQUIRE(one);
  REQUIRE(two);
  CHECK(one->status == PileStatus::Pending);
  CHECK(one->command_status == std::optional<CommandStatus>(CommandStatus::Queued));
  CHECK_FALSE(locks.pile("lock-1", "CP-3")->command_id);
  const auto payload_of = [&](std::int64_t id) { return t.db().commands().find(id)->payload_json; };
  CHECK(payload_of(*one->command_id) == R"({"clear":true})");
  CHECK(payload_of(*two->command_id) == R"({"hashed":true})");
  CHECK(t.db().commands().find(*one->command_id)->origin == "lock:lock-1");
  CHECK(next_wakeups() ==
        std::vector<std::string>{batch_wakeup({std::min(*one->command_id, *two->command_id),
                                               std::max(*one->command_id, *two->command_id)})});

  // The release: UnlockVehicle to rows pending or armed without one.
  LockPileChange unsupported;
  unsupported.next = *two;
  unsupported.next.status = PileStatus::Unsupported;
  unsupported.expected_status = PileStatus::Pending;
  unsupported.expected_command_id = two->command_id;
  REQUIRE(locks.change_piles("lock-1", {unsupported}).size() == 1);
  LockDelivery unlock = lock_vehicle;
  unlock.charge_point_ids = {"CP-1", "CP-2", "CP-3"};
  unlock.payload_json = R"({"unlock":true})";
  unlock.hashed_payload_json.reset();
  auto unlocked = locks.queue_unlock_vehicle(unlock).charge_point_ids;
  std::sort(unlocked.begin(), unlocked.end());
  CHECK(unlocked == std::vector<std::string>{"CP-1", "CP-3"});
  CHECK(locks.queue_unlock_vehicle(unlock).charge_point_ids.empty());  // one per pile
  const auto three = locks.pile("lock-1", "CP-3");
  REQUIRE(three->unlock_command_id);
  CHECK(payload_of(*three->unlock_command_id) == R"({"unlock":true})");
  CHECK(three->unlock_status == std::optional<CommandStatus>(CommandStatus::Queued));
  const auto one_unlock = *locks.pile("lock-1", "CP-1")->unlock_command_id;
  CHECK(next_wakeups() ==
        std::vector<std::string>{batch_wakeup({std::min(one_unlock, *three->unlock_command_id),
                                               std::max(one_unlock, *three->unlock_command_id)})});
  CHECK_FALSE(locks.pile("lock-1", "CP-2")->unlock_command_id);
}

TEST_CASE(
    "locks: a fan-out claims the commands of the claiming node's idle, registered piles, the "
    "others are queued and woken") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A"}));
  auto& charge_points = t.db().charge_points();
  // IDLE: here, booted, nothing queued; QUEUED: a command waits before it;
  // SENDING: a CALL of ours in flight; ELSEWHERE: another node's; NEVER:
  // never booted; PENDING: its boot was not accepted.
  for (const char* id : {"IDLE", "QUEUED", "SENDING", "ELSEWHERE", "NEVER", "PENDING"}) {
    NewChargePoint cp;
    cp.id = id;
    if (std::string(id) == "PENDING") cp.registration_status = RegistrationStatus::Pending;
    charge_points.create(cp);
    REQUIRE(charge_points.set_online(id, std::string(id) == "ELSEWHERE" ? "node-2" : "node-1",
                                     Clock::now()));
    if (std::string(id) != "NEVER")
      REQUIRE(charge_points.record_boot(id, BootInfo{}, Clock::now()));
  }
  auto& commands = t.db().commands();
  const auto expires = Clock::now() + std::chrono::hours(24);
  for (const char* id : {"QUEUED", "SENDING"})
    commands.enqueue({id, "ClearCache", "{}", std::nullopt, std::nullopt, "operator", expires});
  REQUIRE(commands.claim_next("SENDING", "node-1"));
  auto& locks = t.db().locks();
  locks.create({"lock-1", "WVWZZZ1JZXW000001", alice, std::nullopt, std::nullopt, expires,
                std::nullopt, "requested by owner"});
  auto wakeups = commands.listen();
  CHECK(wakeups->wait(std::chrono::milliseconds(100)).empty());  // listening from here

  LockDelivery lock_vehicle = lock_vehicle_of(
      {"IDLE", "QUEUED", "SENDING", "ELSEWHERE", "NEVER", "PENDING"}, R"({"lock":true})", expires);
  lock_vehicle.claiming_node = "node-1";
  const auto written = locks.queue_lock_vehicle(lock_vehicle);
  CHECK(written.charge_point_ids.size() == 6);
  REQUIRE(written.claimed.size() == 1);
  CHECK(written.claimed[0].charge_point_id == "IDLE");
  const auto idle = commands.find(written.claimed[0].command_id);
  REQUIRE(idle);
  CHECK(idle->status == "sent");
  CHECK(idle->claimed_by == std::optional<std::string>("node-1"));
  CHECK(idle->payload_json == R"({"lock":true})");
  CHECK(locks.pile("lock-1", "IDLE")->command_id == written.claimed[0].command_id);
  // The others wait in the queue, and their nodes are woken for them (not
  // for the claimed one: nobody may claim it again).
  std::int64_t first = 0, last = 0;
  for (const char* id : {"QUEUED", "SENDING", "ELSEWHERE", "NEVER", "PENDING"}) {
    const auto pile = locks.pile("lock-1", id);
    REQUIRE(pile);
    REQUIRE(pile->command_id);
    CHECK(pile->command_status == std::optional<CommandStatus>(CommandStatus::Queued));
    first = first == 0 ? *pile->command_id : std::min(first, *pile->command_id);
    last = std::max(last, *pile->command_id);
  }
  std::vector<std::string> woken;
  for (int i = 0; i < 30 && woken.empty(); ++i)
    woken = wakeups->wait(std::chrono::milliseconds(100));
  CHECK(woken == std::vector<std::string>{batch_wakeup({first, last})});
  CHECK_FALSE(commands.claim_next("IDLE", "node-1"));  // one CALL at a time: it is out

  // The release: IDLE's LockVehicle is still unanswered, so its UnlockVehicle
  // is queued behind it; a pile answered meanwhile gets it claimed.
  CommandStore::Ended answered;
  answered.id = *locks.pile("lock-1", "ELSEWHERE")->command_id;
  REQUIRE(commands.claim_next("ELSEWHERE", "node-2"));
  answered.result.status = "completed";
  REQUIRE(commands.complete_many({answered}).size() == 1);
  REQUIRE(charge_points.set_online("ELSEWHERE", "node-1", Clock::now()));
  LockDelivery unlock = lock_vehicle;
  unlock.charge_point_ids = {"IDLE", "ELSEWHERE"};
  unlock.payload_json = R"({"unlock":true})";
  const auto released = locks.queue_unlock_vehicle(unlock);
  CHECK(released.charge_point_ids.size() == 2);
  REQUIRE(released.claimed.size() == 1);
  CHECK(released.claimed[0].charge_point_id == "ELSEWHERE");
  CHECK(commands.find(released.claimed[0].command_id)->status == "sent");
  CHECK(locks.pile("lock-1", "ELSEWHERE")->unlock_command_id == released.claimed[0].command_id);
  CHECK(locks.pile("lock-1", "IDLE")->unlock_status ==
        std::optional<CommandStatus>(CommandStatus::Queued));
}

// The dispatcher is handed a claimed command without its row: the flag is
// what picks the payload it writes, so a pile that declared hashed matching
// never gets the identifiers in clear.
TEST_CASE("locks: a claimed LockVehicle says whether its pile got the hashed payload") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A"}));
  auto& charge_points = t.db().charge_points();
  for (const char* id : {"CLEAR", "HASHING"}) {
    NewChargePoint cp;
    cp.id = id;
    charge_points.create(cp);
    REQUIRE(charge_points.set_online(id, "node-1", Clock::now()));
    REQUIRE(charge_points.record_boot(id, BootInfo{}, Clock::now()));
  }
  auto& locks = t.db().locks();
  locks.set_hashed_matching("HASHING", true);
  const auto expires = Clock::now() + std::chrono::hours(24);
  locks.create({"lock-1", "WVWZZZ1JZXW000001", alice, std::nullopt, std::nullopt, expires,
                std::nullopt, "requested by owner"});
  LockDelivery lock_vehicle = lock_vehicle_of({"CLEAR", "HASHING"}, R"({"clear":true})", expires);
  lock_vehicle.hashed_payload_json = R"({"hashed":true})";
  lock_vehicle.claiming_node = "node-1";
  const auto written = locks.queue_lock_vehicle(lock_vehicle);
  REQUIRE(written.claimed.size() == 2);
  for (const auto& claimed : written.claimed) {
    const bool hashing = claimed.charge_point_id == "HASHING";
    CHECK(claimed.hashed == hashing);
    CHECK(t.db().commands().find(claimed.command_id)->payload_json ==
          (hashing ? R"({"hashed":true})" : R"({"clear":true})"));
  }
}

TEST_CASE("locks: the summary is the lock, its pile counts, trail and sightings as read apart") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A"}));
  for (const char* id : {"CP-1", "CP-2", "CP-3", "CP-4"}) {
    NewChargePoint cp;
    cp.id = id;
    cp.location = GeoLocation{48.1, 11.5};
    t.db().charge_points().create(cp);
  }
  t.scalar("UPDATE charge_points SET connected_node = 'node-1' WHERE id IN ('CP-1', 'CP-2')");
  auto& locks = t.db().locks();
  CHECK_FALSE(locks.summary("lock-1"));
  CHECK_FALSE(locks.active_summary_for_vehicle("WVWZZZ1JZXW000001"));

  locks.create({"lock-1", "WVWZZZ1JZXW000001", alice, GeoLocation{48.0, 11.0}, 25.5,
                Clock::now() + std::chrono::hours(24), std::string("POL-7"), "requested"});
  // Not dispatched yet: the lock alone, no counts.
  auto bare = locks.summary("lock-1");
  REQUIRE(bare);
  CHECK(bare->pile_counts.empty());
  CHECK(bare->sightings.empty());
  CHECK(bare->transitions.size() == 1);

  const std::pair<const char*, PileStatus> piles[] = {{"CP-1", PileStatus::Armed},
                                                      {"CP-2", PileStatus::Armed},
                                                      {"CP-3", PileStatus::Armed},
                                                      {"CP-4", PileStatus::Unsupported}};
  for (const auto& [id, status] : piles) {
    LockPile pile;
    pile.lock_id = "lock-1";
    pile.charge_point_id = id;
    pile.status = status;
    locks.put_pile(pile);
  }
  LockUpdate arm;
  arm.lock_id = "lock-1";
  arm.from = {LockStatus::Requested};
  arm.to = LockStatus::Armed;
  arm.cause = "dispatched";
  REQUIRE(locks.update(arm));
  NewSighting seen;
  seen.lock_id = "lock-1";
  seen.charge_point_id = "CP-2";
  seen.connector_id = 2;
  seen.source = "Authorize";
  seen.matched_kind = "idTag";
  seen.matched_value = "TAG-A";
  locks.add_sighting(seen);
  seen.charge_point_id = "CP-GONE";  // no place, no connector
  seen.connector_id.reset();
  seen.source = "StartTransaction";
  locks.add_sighting(seen);

  const auto summary = locks.summary("lock-1");
  REQUIRE(summary);
  const auto lock = *locks.find("lock-1");
  CHECK(summary->lock.id == lock.id);
  CHECK(summary->lock.vin == lock.vin);
  CHECK(summary->lock.owner_id == alice);
  CHECK(summary->lock.status == LockStatus::Armed);
  REQUIRE(summary->lock.center);
  CHECK(summary->lock.center->latitude == 48.0);
  CHECK(summary->lock.radius_km == std::optional<double>(25.5));
  CHECK(summary->lock.case_reference == std::optional<std::string>("POL-7"));
  CHECK_FALSE(summary->lock.engaged_without_hold);
  CHECK(summary->lock.created_at == lock.created_at);
  CHECK(summary->lock.updated_at == lock.updated_at);
  CHECK(summary->lock.expires_at == lock.expires_at);

  using Count = std::tuple<int, bool, int>;  // status, online, count
  const auto counts_of = [](std::vector<LockPileCount> counts) {
    std::vector<Count> out;
    for (const auto& c : counts) out.emplace_back(static_cast<int>(c.status), c.online, c.count);
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto armed = static_cast<int>(PileStatus::Armed);
  const auto unsupported = static_cast<int>(PileStatus::Unsupported);
  // Active: by status alone (online matters only once the lock ended).
  CHECK(counts_of(summary->pile_counts) ==
        counts_of({{PileStatus::Armed, false, 3}, {PileStatus::Unsupported, false, 1}}));
  CHECK(counts_of(locks.pile_counts("lock-1")) == counts_of(summary->pile_counts));

  const auto trail = locks.transitions("lock-1");
  REQUIRE(summary->transitions.size() == 2);
  for (std::size_t i = 0; i < trail.size(); ++i) {
    CHECK(summary->transitions[i].id == trail[i].id);
    CHECK(summary->transitions[i].from_status == trail[i].from_status);
    CHECK(summary->transitions[i].to_status == trail[i].to_status);
    CHECK(summary->transitions[i].cause == trail[i].cause);
    CHECK(summary->transitions[i].at == trail[i].at);
  }
  const auto sightings = locks.sightings("lock-1");
  REQUIRE(summary->sightings.size() == 2);
  for (std::size_t i = 0; i < sightings.size(); ++i) {
    CHECK(summary->sightings[i].id == sightings[i].id);
    CHECK(summary->sightings[i].charge_point_id == sightings[i].charge_point_id);
    CHECK(summary->sightings[i].connector_id == sightings[i].connector_id);
    CHECK(summary->sightings[i].source == sightings[i].source);
    CHECK(summary->sightings[i].matched_value == sightings[i].matched_value);
    CHECK(summary->sightings[i].held == sightings[i].held);
    CHECK(summary->sightings[i].at == sightings[i].at);
  }
  REQUIRE(summary->sightings[0].location);
  CHECK(summary->sightings[0].location->longitude == 11.5);
  CHECK_FALSE(summary->sightings[1].location);

  // By vehicle: only while active.
  const auto by_vin = locks.active_summary_for_vehicle("WVWZZZ1JZXW000001");
  REQUIRE(by_vin);
  CHECK(by_vin->lock.id == "lock-1");
  CHECK(by_vin->transitions.size() == 2);
  LockUpdate cancel;
  cancel.lock_id = "lock-1";
  cancel.to = LockStatus::Cancelled;
  cancel.cause = "cancelled";
  REQUIRE(locks.update(cancel));
  CHECK_FALSE(locks.active_summary_for_vehicle("WVWZZZ1JZXW000001"));
  const auto ended = locks.summary("lock-1");
  CHECK(ended->lock.status == LockStatus::Cancelled);
  // Ended: the armed piles online and offline apart, as pile_counts() has them.
  CHECK(counts_of(ended->pile_counts) == counts_of(locks.pile_counts("lock-1")));
  CHECK(counts_of(ended->pile_counts) ==
        std::vector<Count>{{armed, false, 1}, {armed, true, 2}, {unsupported, false, 1}});
}

TEST_CASE("locks: the kept pile counts follow every write of the pile rows, and fold") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A"}));
  std::vector<std::string> ids;
  for (int i = 1; i <= 40; ++i) {
    NewChargePoint cp;
    cp.id = "CP-" + std::to_string(i);
    t.db().charge_points().create(cp);
    ids.push_back(cp.id);
  }
  auto& locks = t.db().locks();
  locks.create({"lock-1", "WVWZZZ1JZXW000001", alice, std::nullopt, std::nullopt,
                Clock::now() + std::chrono::hours(24), std::nullopt, "requested"});
  // What a read gets (the summary's and pile_counts()'s), against the pile
  // rows counted as the reads did before the counts were kept.
  const auto kept = [&](const std::vector<LockPileCount>& counts) {
    std::map<int, int> out;
    for (const auto& c : counts) out[static_cast<int>(c.status)] += c.count;
    return out;
  };
  const auto counted = [&] {
    std::map<int, int> out;
    for (const auto& pile : locks.piles("lock-1")) ++out[static_cast<int>(pile.status)];
    return out;
  };
  const auto agree = [&] {
    CHECK(kept(locks.summary("lock-1")->pile_counts) == counted());
    CHECK(kept(locks.pile_counts("lock-1")) == counted());
  };
  const auto pending = static_cast<int>(PileStatus::Pending);
  const auto armed = static_cast<int>(PileStatus::Armed);

  std::vector<LockPile> rows;
  for (const auto& id : ids) {
    LockPile pile;
    pile.lock_id = "lock-1";
    pile.charge_point_id = id;
    pile.status = PileStatus::Pending;
    rows.push_back(pile);
  }
  CHECK(locks.add_piles(rows).size() == 40);  // one statement for all
  CHECK(locks.add_piles(rows).empty());       // nothing inserted: nothing counted
  CHECK(kept(locks.pile_counts("lock-1")) == std::map<int, int>{{pending, 40}});
  agree();

  // Answers in a batch, then one by one (a delta row each).
  std::vector<LockPileChange> answers;
  for (int i = 0; i < 25; ++i) {
    LockPileChange change;
    change.next = rows[static_cast<std::size_t>(i)];
    change.next.status = PileStatus::Armed;
    answers.push_back(change);
  }
  CHECK(locks.change_piles("lock-1", answers).size() == 25);
  CHECK(locks.change_piles("lock-1", answers).empty());  // expected pending: no longer
  agree();
  for (int i = 25; i < 37; ++i) {
    LockPileChange change;
    change.next = rows[static_cast<std::size_t>(i)];
    change.next.status = i % 2 == 0 ? PileStatus::Armed : PileStatus::Unsupported;
    CHECK(locks.change_piles("lock-1", {change}).size() == 1);
  }
  agree();
  // An update that changes no status adds nothing.
  const std::string rows_before = t.scalar("SELECT count(*) FROM vehicle_lock_pile_counts");
  t.scalar("UPDATE vehicle_lock_piles SET detail = 'x' WHERE lock_id = 'lock-1' RETURNING 1");
  CHECK(t.scalar("SELECT count(*) FROM vehicle_lock_pile_counts") == rows_before);

  // A rolled-back write leaves the counts as they were.
  CHECK_THROWS(
      t.scalar("DO $$ BEGIN UPDATE vehicle_lock_piles SET status = 'disarmed';"
               " RAISE EXCEPTION 'rolled back'; END $$"));
  agree();

  // A deleted pile leaves the counts with its rows.
  REQUIRE(t.db().charge_points().remove("CP-1"));
  REQUIRE(t.db().charge_points().remove("CP-40"));
  agree();
  CHECK(kept(locks.pile_counts("lock-1"))[armed] == 24 + 6);

  // Folded: one row per status, the same counts.
  const auto before_fold = counted();
  CHECK(std::stoi(t.scalar("SELECT count(*) FROM vehicle_lock_pile_counts")) > 8);
  CHECK(locks.compact_pile_counts() == 3);  // pending, armed, unsupported
  CHECK(t.scalar("SELECT count(*) FROM vehicle_lock_pile_counts") == "3");
  CHECK(counted() == before_fold);
  agree();
  CHECK(locks.compact_pile_counts() == 0);  // nothing to fold

  // Ended: the outstanding piles come from the rows (online or not), the
  // rest from the kept counts.
  LockUpdate cancel;
  cancel.lock_id = "lock-1";
  cancel.to = LockStatus::Cancelled;
  cancel.cause = "cancelled";
  REQUIRE(locks.update(cancel));
  agree();

  // The lock deleted with its vehicle: its counts go with it.
  t.scalar("DELETE FROM vehicle_locks WHERE id = 'lock-1' RETURNING 1");
  CHECK(t.scalar("SELECT count(*) FROM vehicle_lock_pile_counts") == "0");
}

TEST_CASE("a one-statement read on a connection the server closed is answered on a new one") {
  test::TestDatabase t;
  t.db().api_tokens().create_if_missing(
      {ApiRole::Operator, "ops", std::nullopt, std::nullopt, "hash-1"});
  REQUIRE(t.db().api_tokens().find_valid("hash-1"));  // this thread's connection is open
  const auto lost = t.db().stats().connections_lost.load();
  // Every other session of the database ends, as in a PostgreSQL restart.
  t.scalar(
      "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()");
  const auto token = t.db().api_tokens().find_valid("hash-1");
  REQUIRE(token);
  CHECK(token->name == "ops");
  CHECK(t.db().stats().connections_lost.load() == lost + 1);
  CHECK(t.db().vehicles().known("WVWZZZ1JZXW000001") == false);
}

// The sweep reconciles every active lock on every node every few seconds:
// it reads only piles_unsettled(), so every pile whose commands' outcomes
// call for a step (lock_rules::next_step, the rule the sweep applies) must
// be among them, whatever the mix of states; the piles armed by their
// LockVehicle's Accepted and those waiting for an answer in flight are not.
TEST_CASE("locks: the unsettled piles hold every pile whose outcomes call for a step") {
  test::TestDatabase t;
  const auto alice = add_owner(t, "alice");
  t.db().vehicles().put(claim("WVWZZZ1JZXW000001", alice, {"TAG-A"}));
  auto& locks = t.db().locks();
  locks.create({"lock-1", "WVWZZZ1JZXW000001", alice, std::nullopt, std::nullopt,
                Clock::now() + std::chrono::hours(24), std::nullopt, "requested by owner"});

  struct Outcome {
    const char* status;  // nullptr: no command on the row
    const char* response;
    const char* error_code;
  };
  const std::vector<Outcome> lock_vehicle = {
      {nullptr, nullptr, nullptr},
      {"queued", nullptr, nullptr},
      {"sent", nullptr, nullptr},
      {"completed", R"({"status":"Accepted"})", nullptr},
      {"completed", R"({"status":"Accepted","data":"x"})", nullptr},
      {"completed", R"({ "status" : "Accepted" })", nullptr},
      {"completed", R"({"status":"AcceptedLater"})", nullptr},
      {"completed", R"({"status":"Rejected"})", nullptr},
      {"completed", R"({"data":"x","status":"Accepted"})", nullptr},
      {"failed", nullptr, "NotImplemented"},
      {"failed", nullptr, "InternalError"},
      {"timeout", nullptr, "Timeout"},
      {"expired", nullptr, nullptr},
  };
  const std::vector<Outcome> unlock_vehicle = {
      {nullptr, nullptr, nullptr},         {"queued", nullptr, nullptr},
      {"sent", nullptr, nullptr},          {"completed", R"({"status":"Accepted"})", nullptr},
      {"failed", nullptr, "NotSupported"}, {"failed", nullptr, "InternalError"},
      {"timeout", nullptr, "Timeout"},     {"expired", nullptr, nullptr},
  };
  const auto literal = [](const char* text) {
    return text ? "'" + std::string(text) + "'" : std::string("NULL");
  };
  // One statement per pile: its commands (data-modifying CTEs), then its row.
  const auto command = [&](const std::string& name, const std::string& pile, const Outcome& o) {
    if (!o.status) return name + " AS (SELECT NULL::bigint AS id)";
    return name +
           " AS (INSERT INTO commands (charge_point_id, action, payload, status, response,"
           " error_code, expires_at, origin) VALUES ('" +
           pile + "', 'DataTransfer', '{}', '" + o.status + "', " + literal(o.response) + ", " +
           literal(o.error_code) + ", now() + interval '1 day', 'lock:lock-1') RETURNING id)";
  };
  int n = 0;
  std::string sql;
  for (const auto& c : lock_vehicle)
    for (const auto& u : unlock_vehicle)
      for (const char* status : {"pending", "armed", "unsupported", "disarmed"})
        for (const char* detail : {"Accepted", "Rejected"}) {
          // One CALL in flight per pile (commands_sent_by_charge_point).
          if (c.status && u.status && std::string(c.status) == "sent" &&
              std::string(u.status) == "sent")
            continue;
          const std::string pile = "CP-" + std::to_string(++n);
          sql += "INSERT INTO charge_points (id) VALUES ('" + pile + "');";
          sql += "WITH " + command("c", pile, c) + ", " + command("u", pile, u) +
                 " INSERT INTO vehicle_lock_piles (lock_id, charge_point_id, status, command_id,"
                 " unlock_command_id, detail) SELECT 'lock-1', '" +
                 pile + "', '" + status + "', c.id, u.id, '" + detail + "' FROM c, u;";
        }
  t.scalar(sql);

  const auto now = Clock::now();
  std::set<std::string> unsettled;
  for (const LockPile& pile : locks.piles_unsettled("lock-1"))
    unsettled.insert(pile.charge_point_id);
  int steps = 0;
  int left_out = 0;
  for (const LockPile& pile : locks.piles("lock-1")) {
    const bool step = lock_rules::next_step(true, pile, now).kind != lock_rules::PileStep::None ||
                      lock_rules::next_step(false, pile, now).kind != lock_rules::PileStep::None;
    steps += step ? 1 : 0;
    if (unsettled.count(pile.charge_point_id) == 0) {
      ++left_out;
      INFO(pile.charge_point_id << " " << to_string(pile.status) << " detail "
                                << pile.detail.value_or("-") << " LockVehicle "
                                << (pile.command_status ? to_string(*pile.command_status) : "-")
                                << " " << pile.command_response_json.value_or("-")
                                << " UnlockVehicle "
                                << (pile.unlock_status ? to_string(*pile.unlock_status) : "-"));
      CHECK_FALSE(step);
    }
  }
  CHECK(steps > 0);
  // What the sweep no longer reads: the piles armed by their Accepted and
  // those waiting for an answer, with or without an UnlockVehicle in flight.
  CHECK(left_out > 0);
  const auto left_out_pile = [&](const char* lv, const char* lv_response, const char* uv,
                                 const char* status, const char* detail) {
    for (const LockPile& pile : locks.piles("lock-1")) {
      const bool command_matches =
          pile.command_status && to_string(*pile.command_status) == std::string(lv) &&
          pile.command_response_json == (lv_response ? std::optional<std::string>(lv_response)
                                                     : std::optional<std::string>());
      const bool unlock_matches =
          uv ? pile.unlock_status && to_string(*pile.unlock_status) == std::string(uv)
             : !pile.unlock_command_id;
      if (command_matches && unlock_matches && to_string(pile.status) == std::string(status) &&
          pile.detail == std::optional<std::string>(detail))
        return unsettled.count(pile.charge_point_id) == 0;
    }
    FAIL("no such pile");
    return false;
  };
  CHECK(left_out_pile("completed", R"({"status":"Accepted"})", nullptr, "armed", "Accepted"));
  CHECK(left_out_pile("completed", R"({"status":"Accepted"})", "queued", "armed", "Accepted"));
  CHECK(left_out_pile("queued", nullptr, nullptr, "pending", "Accepted"));
  CHECK(left_out_pile("sent", nullptr, nullptr, "pending", "Accepted"));
  CHECK(left_out_pile("timeout", nullptr, "sent", "armed", "Accepted"));
  // Rows already settled for good are not read either.
  CHECK(
      left_out_pile("completed", R"({"status":"Accepted"})", "completed", "disarmed", "Accepted"));
}
