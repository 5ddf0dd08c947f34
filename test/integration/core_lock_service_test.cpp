// The lock state machine (SPEC §4) against a real PostgreSQL, with the
// command queue played by hand: scope, arming from command outcomes,
// VehicleLocked, release / cancel, the Blocked fallback, the operator
// command guard and arming at boot.
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "core/digest.h"
#include "core/domain_errors.h"
#include "core/lock_codec.h"
#include "test/integration/core_lock_fixture.h"

using namespace chargelock;
using namespace chargelock::test;

namespace {

constexpr const char* kVin = "WVWZZZ1JZXW000001";
constexpr const char* kAccepted = R"({"status":"Accepted"})";
constexpr const char* kUnknownVendor = R"({"status":"UnknownVendorId"})";

core::DataTransferResult vehicle_locked(core::CentralSystem& central, const std::string& cp,
                                        const std::string& data) {
  return central.data_transfers().receive(cp,
                                          {"org.chargelock", std::string("VehicleLocked"), data});
}

core::CommandRequest command(const std::string& cp, const std::string& action,
                             const std::string& payload, const std::string& origin = "operator") {
  core::CommandRequest r;
  r.charge_point_id = cp;
  r.action = action;
  r.payload_json = payload;
  r.origin = origin;
  return r;
}

std::vector<std::string> statuses(const std::vector<core::LockTransition>& trail) {
  std::vector<std::string> out;
  for (const auto& t : trail)
    out.push_back(std::string(t.from_status ? core::to_string(*t.from_status) : "-") + ">" +
                  core::to_string(t.to_status));
  return out;
}

}  // namespace

TEST_CASE_METHOD(LockFixture, "lock scope: all piles, or only piles inside the radius") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-MUNICH", core::GeoLocation{48.137, 11.575});
  pile("CP-GARCHING", core::GeoLocation{48.249, 11.651});  // ~14 km north
  pile("CP-BERLIN", core::GeoLocation{52.52, 13.405});
  pile("CP-NOWHERE");  // no location

  SECTION("radius around the vehicle's last known position") {
    CHECK_THROWS_AS(central->locks().request_lock({alice, kVin, {20.0, std::nullopt}}),
                    std::invalid_argument);  // no position yet
    central->telematics().report({kVin, 50, core::GeoLocation{48.14, 11.58}, core::Clock::now()});
    bool created = false;
    auto lock = central->locks().request_lock({alice, kVin, {20.0, std::nullopt}}, &created);
    CHECK(created);
    CHECK(lock.lock.status == core::LockStatus::Armed);
    CHECK(lock.piles.pending == 2);
    CHECK(queued("CP-MUNICH").size() == 1);
    CHECK(queued("CP-GARCHING").size() == 1);
    CHECK(queued("CP-BERLIN").empty());
    CHECK(queued("CP-NOWHERE").empty());
  }
  SECTION("radius around a given point") {
    auto lock = central->locks().request_lock({alice, kVin, {5.0, core::GeoLocation{52.5, 13.4}}});
    CHECK(lock.piles.pending == 1);
    CHECK(queued("CP-BERLIN").size() == 1);
    CHECK(queued("CP-MUNICH").empty());
  }
  SECTION("every pile by default; a second request returns the same lock") {
    auto lock = central->locks().request_lock({alice, kVin, {}});
    CHECK(lock.piles.pending == 4);
    const auto command = queued("CP-NOWHERE").at(0);
    CHECK(command.action == "DataTransfer");
    CHECK(command.origin == "lock:" + lock.lock.id);
    CHECK(command.payload_json ==
          core::lock_codec::lock_vehicle_payload(lock.lock.id, kVin, {"TAG-A"}, {}));
    bool created = true;
    auto again = central->locks().request_lock({alice, kVin, {}}, &created);
    CHECK_FALSE(created);
    CHECK(again.lock.id == lock.lock.id);
    CHECK(queued("CP-NOWHERE").size() == 1);
  }
  CHECK(core::distance_km({48.137, 11.575}, {52.52, 13.405}) == Approx(504).margin(3));
}

TEST_CASE_METHOD(LockFixture, "owners act only on their own vehicles and locks") {
  const auto alice = owner("alice");
  const auto bob = owner("bob");
  vehicle(alice, kVin, {"TAG-A"});
  CHECK_THROWS_AS(central->locks().request_lock({bob, kVin, {}}), core::ForbiddenError);
  CHECK_THROWS_AS(central->locks().request_lock({bob, "WVWZZZ1JZXW000009", {}}),
                  core::NotFoundError);
  const auto lock = central->locks().request_lock({alice, kVin, {}});
  CHECK_THROWS_AS(central->locks().get(bob, lock.lock.id), core::NotFoundError);
  CHECK_THROWS_AS(central->locks().release(bob, lock.lock.id), core::NotFoundError);
  CHECK(central->locks().get(alice, lock.lock.id).lock.id == lock.lock.id);
  CHECK(central->locks().list(bob).empty());
  // The summary read (GET /locks/{id}) keeps the same rule: another owner's
  // lock is unknown.
  CHECK_THROWS_AS(central->locks().details(bob, lock.lock.id), core::NotFoundError);
  CHECK_THROWS_AS(central->locks().details(alice, "no-such-lock"), core::NotFoundError);
  CHECK(central->locks().details(alice, lock.lock.id).view.lock.id == lock.lock.id);
  CHECK_FALSE(central->locks().find_details("no-such-lock"));
}

TEST_CASE_METHOD(LockFixture,
                 "a repeated lock request answers the active lock as a read would show it") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-1");
  pile("CP-2");
  auto& locks = central->locks();
  bool created = false;
  const auto first = locks.request_lock_details({alice, kVin, {}}, &created);
  CHECK(created);
  CHECK(first.view.lock.status == core::LockStatus::Armed);
  CHECK(first.view.piles.pending == 2);
  CHECK(statuses(first.transitions) == std::vector<std::string>{"->requested", "requested>armed"});
  answer("CP-1", kAccepted);

  created = true;
  const auto again = locks.request_lock_details({alice, kVin, {}}, &created);
  CHECK_FALSE(created);
  CHECK(again.view.lock.id == first.view.lock.id);
  CHECK(again.view.piles.armed == 1);  // the piles' answers since, not the first answer's
  CHECK(again.view.piles.pending == 1);
  CHECK(again.transitions.size() == 2);
  CHECK(queued("CP-2").size() == 1);  // nothing sent twice
  const auto read = locks.details(alice, first.view.lock.id);
  CHECK(read.view.piles.armed == again.view.piles.armed);
  CHECK(read.transitions.size() == again.transitions.size());
  // A bad request is refused even when the lock exists.
  CHECK_THROWS_AS(locks.request_lock_details(
                      {alice, kVin, {}, core::Clock::now() - std::chrono::hours(1)}, &created),
                  std::invalid_argument);
}

TEST_CASE_METHOD(LockFixture,
                 "a lock left requested (a crash before its dispatch) is dispatched "
                 "by the next request") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-1");
  // As a crash between the lock's creation and its dispatch leaves it.
  const auto stored = database.db().locks().create(
      {"lock-crashed", kVin, alice, std::nullopt, std::nullopt,
       core::Clock::now() + std::chrono::hours(24), std::nullopt, "requested by the owner"});
  REQUIRE(stored.created);
  CHECK(queued("CP-1").empty());
  bool created = true;
  const auto lock = central->locks().request_lock_details({alice, kVin, {}}, &created);
  CHECK_FALSE(created);
  CHECK(lock.view.lock.id == "lock-crashed");
  CHECK(lock.view.lock.status == core::LockStatus::Armed);
  CHECK(lock.view.piles.pending == 1);
  CHECK(queued("CP-1").size() == 1);
}

TEST_CASE_METHOD(LockFixture,
                 "state machine: armed, engaged by VehicleLocked, released on Unlocked") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"}, {"EVCC-A"});
  pile("CP-EXT", core::GeoLocation{48.1, 11.5});
  pile("CP-STD");
  pile("CP-QUIET");
  auto& locks = central->locks();
  const std::string id = locks.request_lock({alice, kVin, {}}).lock.id;

  answer("CP-EXT", kAccepted);
  answer("CP-STD", kUnknownVendor);
  auto view = *locks.find(id);
  CHECK(view.lock.status == core::LockStatus::Armed);
  CHECK(view.piles.armed == 1);
  CHECK(view.piles.unsupported == 1);
  CHECK(view.piles.pending == 1);

  // Unknown lock, bad data: Rejected.
  CHECK(
      vehicle_locked(*central, "CP-EXT", R"({"lockId":"nope","connectorId":1,"vin":"x"})").status ==
      core::DataTransferStatus::Rejected);
  CHECK(vehicle_locked(*central, "CP-EXT", R"({"lockId":")" + id + R"("})").status ==
        core::DataTransferStatus::Rejected);
  CHECK(central->data_transfers()
            .receive("CP-EXT", {"org.chargelock", std::string("Other"), std::string("{}")})
            .status == core::DataTransferStatus::UnknownMessageId);

  const std::string locked = R"({"lockId":")" + id + R"(","connectorId":2,"evccId":"EVCC-A"})";
  CHECK(vehicle_locked(*central, "CP-EXT", locked).status == core::DataTransferStatus::Accepted);
  CHECK(vehicle_locked(*central, "CP-EXT", locked).status ==
        core::DataTransferStatus::Accepted);  // repeated
  // Held at CP-EXT; a report from another pile is a new sighting (the car
  // was seen there too), not a refusal, and the hold stays where it is.
  CHECK(vehicle_locked(*central, "CP-STD",
                       R"({"lockId":")" + id + R"(","connectorId":1,"idTag":"TAG-A"})")
            .status == core::DataTransferStatus::Accepted);
  const auto sightings = locks.sightings(id);
  REQUIRE(sightings.size() == 2);
  CHECK(sightings[0].charge_point_id == "CP-EXT");
  CHECK(sightings[0].held);
  CHECK(sightings[1].charge_point_id == "CP-STD");
  view = *locks.find(id);
  CHECK(view.lock.status == core::LockStatus::Engaged);
  CHECK(view.lock.charge_point_id == std::optional<std::string>("CP-EXT"));
  CHECK(view.lock.connector_id == std::optional<int>(2));
  CHECK(view.lock.matched_kind == std::optional<std::string>("evccId"));
  CHECK_FALSE(view.lock.engaged_without_hold);

  auto notes = central->notifications().list(alice, 0);
  REQUIRE(notes.size() == 3);  // armed, caught, sighted
  CHECK(notes[1].kind == "vehicle_caught");
  CHECK(notes[1].body_json.find(R"("chargePointId":"CP-EXT")") != std::string::npos);
  CHECK(notes[1].body_json.find(R"("location":{"lat":48.1,"lon":11.5})") != std::string::npos);
  CHECK(notes[2].kind == "vehicle_sighted");
  CHECK(notes[2].body_json.find(R"("chargePointId":"CP-STD")") != std::string::npos);
  // The operators' inbox has the catch and the sighting too.
  const auto ops = central->notifications().list(core::kOperatorsInbox, 0);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].kind == "vehicle_caught");
  CHECK(ops[1].kind == "vehicle_sighted");

  // Operators may not unlock, stop or reset the holding pile.
  const auto unlock = command("CP-EXT", "UnlockConnector", R"({"connectorId":2})");
  CHECK(locks.refuse(unlock).has_value());
  CHECK_FALSE(locks.refuse(command("CP-EXT", "UnlockConnector", R"({"connectorId":1})")));
  CHECK(locks.refuse(command("CP-EXT", "Reset", R"({"type":"Soft"})")));
  CHECK(locks.refuse(command("CP-EXT", "RemoteStopTransaction", R"({"transactionId":77})")));
  CHECK_FALSE(locks.refuse(command("CP-STD", "Reset", R"({"type":"Soft"})")));
  CHECK_FALSE(locks.refuse(command("CP-EXT", "GetConfiguration", "{}")));
  CHECK_THROWS_AS(central->commands().enqueue(unlock), core::CommandRefused);  // HTTP 409

  // Release: UnlockVehicle to the armed (and pending) piles, UnlockConnector to
  // the holder; still engaged until the connector answers.
  view = locks.release(alice, id);
  CHECK(view.lock.status == core::LockStatus::Engaged);
  REQUIRE(view.lock.release_command_id);
  const auto to_ext = queued("CP-EXT");
  REQUIRE(to_ext.size() == 2);
  CHECK(to_ext[0].payload_json == core::lock_codec::unlock_vehicle_payload(id));
  CHECK(to_ext[1].action == "UnlockConnector");
  CHECK(to_ext[1].payload_json == R"({"connectorId":2})");
  // Unsupported: no UnlockVehicle, only the card taken off its local list.
  REQUIRE(queued("CP-STD").size() == 1);
  CHECK(queued("CP-STD")[0].action == "SendLocalList");
  CHECK(queued("CP-QUIET").size() == 2);  // its LockVehicle, then UnlockVehicle
  CHECK_FALSE(locks.refuse(command("CP-EXT", "UnlockConnector", R"({"connectorId":2})",
                                   "lock:" + id)));  // the lock's own release passes

  // UnlockFailed keeps it engaged, with the reason; a second release retries.
  auto claimed = central->commands().claim_next("CP-EXT");
  central->commands().complete(*claimed, kAccepted);
  claimed = central->commands().claim_next("CP-EXT");
  central->commands().complete(*claimed, R"({"status":"UnlockFailed"})");
  view = *locks.find(id);
  CHECK(view.lock.status == core::LockStatus::Engaged);
  CHECK(view.lock.release_error ==
        std::optional<std::string>("UnlockConnector answered UnlockFailed"));
  locks.release(alice, id);
  CHECK(answer("CP-EXT", R"({"status":"Unlocked"})").size() == 1);
  view = *locks.find(id);
  CHECK(view.lock.status == core::LockStatus::Released);
  CHECK_FALSE(locks.refuse(unlock));

  // Released: VehicleLocked is rejected now; the audit trail has it all.
  CHECK(vehicle_locked(*central, "CP-EXT", locked).status == core::DataTransferStatus::Rejected);
  const auto trail = locks.transitions(id);
  CHECK(statuses(trail) == std::vector<std::string>{
                               "->requested", "requested>armed", "armed>engaged", "engaged>engaged",
                               "engaged>engaged", "engaged>engaged", "engaged>released"});
  CHECK(trail.back().cause.find("Unlocked") != std::string::npos);
  CHECK(trail[4].cause.find("UnlockFailed") != std::string::npos);
  // A new lock may be requested now.
  CHECK(locks.request_lock({alice, kVin, {}}).lock.id != id);
}

TEST_CASE_METHOD(LockFixture,
                 "VehicleLocked only from a pile the lock was sent to, for the locked vehicle") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"}, {"EV:CC:00:AA"});
  vehicle(alice, "WVWZZZ1JZXW000999", {"TAG-OTHER"}, {});
  pile("CP-EXT");
  const std::string id = central->locks().request_lock({alice, kVin, {}}).lock.id;
  answer("CP-EXT", kAccepted);
  pile("CP-ROGUE");  // registered after the lock, never booted: never sent LockVehicle

  const auto report = [&](const std::string& matched) {
    return R"({"lockId":")" + id + R"(","connectorId":1,)" + matched + "}";
  };
  CHECK(vehicle_locked(*central, "CP-ROGUE", report(R"("idTag":"TAG-A")")).status ==
        core::DataTransferStatus::Rejected);
  CHECK(vehicle_locked(*central, "CP-EXT", report(R"("idTag":"TAG-OTHER")")).status ==
        core::DataTransferStatus::Rejected);
  CHECK(vehicle_locked(*central, "CP-EXT", report(R"("vin":"WVWZZZ1JZXW000999")")).status ==
        core::DataTransferStatus::Rejected);
  CHECK(central->locks().find(id)->lock.status == core::LockStatus::Armed);
  // EVCC ids are MAC-like and may come in either case.
  CHECK(vehicle_locked(*central, "CP-EXT", report(R"("evccId":"ev:cc:00:aa")")).status ==
        core::DataTransferStatus::Accepted);
  CHECK(central->locks().find(id)->lock.status == core::LockStatus::Engaged);
}

TEST_CASE_METHOD(LockFixture,
                 "standard piles get the cards Blocked on their local list and the cache cleared") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-STD");
  central->locks().request_lock({alice, kVin, {}});
  auto lock_vehicle = central->commands().claim_next("CP-STD");
  REQUIRE(lock_vehicle);
  REQUIRE(central->commands().complete(*lock_vehicle, kUnknownVendor));
  const auto sent = queued("CP-STD");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].action == "SendLocalList");
  CHECK(sent[0].payload_json ==
        R"({"listVersion":1,"updateType":"Differential","localAuthorizationList":[)"
        R"({"idTag":"TAG-A","idTagInfo":{"status":"Blocked"}}]})");
  CHECK(sent[1].action == "ClearCache");
  // Once per lock and pile: a second sweep queues nothing more.
  central->locks().sweep();
  CHECK(queued("CP-STD").size() == 2);
}

// The sweep reads only the piles whose outcomes may call for a step
// (LockStore::piles_unsettled): what the answer path missed still reaches
// the lock, a LockVehicle that timed out is sent again, and an armed pile
// is left alone.
TEST_CASE_METHOD(LockFixture,
                 "the sweep folds in outcomes the answers missed and re-arms timed-out piles") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  for (const char* id : {"CP-ARMED", "CP-MISSED", "CP-TIMEOUT", "CP-WAITING"}) pile(id);
  auto& locks = central->locks();
  const std::string id = locks.request_lock({alice, kVin, {}}).lock.id;
  answer("CP-ARMED", kAccepted);
  // Recorded on the commands behind the lock service's back, as when a
  // node died between the answer and its reconcile.
  const auto lock_vehicle_of = [&](const std::string& pile) {
    return database.scalar("SELECT command_id FROM vehicle_lock_piles WHERE charge_point_id = '" +
                           pile + "'");
  };
  const std::string missed = lock_vehicle_of("CP-MISSED");
  const std::string timed_out = lock_vehicle_of("CP-TIMEOUT");
  database.scalar(
      "UPDATE commands SET status = 'completed', response = '{\"status\":\"Accepted\"}'"
      " WHERE id = " +
      missed + " RETURNING 1");
  database.scalar("UPDATE commands SET status = 'timeout', error_code = 'Timeout' WHERE id = " +
                  timed_out + " RETURNING 1");
  CHECK(locks.find(id)->piles.armed == 1);
  const std::string armed_row_before = database.scalar(
      "SELECT updated_at FROM vehicle_lock_piles WHERE charge_point_id = 'CP-ARMED'");

  locks.sweep();
  const auto view = *locks.find(id);
  CHECK(view.piles.armed == 2);  // CP-ARMED and CP-MISSED
  CHECK(view.piles.pending == 2);
  const auto again = queued("CP-TIMEOUT");
  REQUIRE(again.size() == 1);  // a new LockVehicle
  CHECK(std::to_string(again[0].id) != timed_out);
  CHECK(lock_vehicle_of("CP-TIMEOUT") == std::to_string(again[0].id));
  CHECK(queued("CP-WAITING").size() == 1);  // still the first one: not sent twice
  CHECK(database.scalar("SELECT updated_at FROM vehicle_lock_piles WHERE charge_point_id = "
                        "'CP-ARMED'") == armed_row_before);
  // A second sweep finds nothing more to do.
  locks.sweep();
  CHECK(queued("CP-TIMEOUT").size() == 1);
  CHECK(locks.find(id)->piles.armed == 2);
}

TEST_CASE_METHOD(LockFixture, "cancel before a catch disarms the piles") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-EXT");
  pile("CP-STD");
  const std::string id = central->locks().request_lock({alice, kVin, {}}).lock.id;
  answer("CP-EXT", kAccepted);
  answer("CP-STD", R"({"status":"UnknownMessageId"})");
  auto view = central->locks().release(alice, id);
  CHECK(view.lock.status == core::LockStatus::Cancelled);
  // Queued is not disarmed: the pile (offline here) counts as pendingOffline
  // until it answers UnlockVehicle.
  CHECK(view.piles.disarmed == 0);
  CHECK(view.piles.armed == 0);
  CHECK(view.piles.pending_offline == 1);
  CHECK(view.piles.unsupported == 1);
  CHECK(view.piles.release_complete);
  const auto to_ext = queued("CP-EXT");
  REQUIRE(to_ext.size() == 1);
  CHECK(to_ext[0].payload_json == core::lock_codec::unlock_vehicle_payload(id));
  CHECK(answer("CP-EXT", kAccepted).size() == 1);
  view = *central->locks().find(id);
  CHECK(view.piles.disarmed == 1);
  CHECK(view.piles.pending_offline == 0);
  // The standard pile: the card off its local list again, nothing else.
  const auto to_std = queued("CP-STD");
  REQUIRE(to_std.size() == 1);
  CHECK(to_std[0].action == "SendLocalList");
  CHECK(to_std[0].payload_json.find(R"("idTag":"TAG-A")") != std::string::npos);
  CHECK(to_std[0].payload_json.find("idTagInfo") == std::string::npos);
  CHECK(statuses(central->locks().transitions(id)) ==
        std::vector<std::string>{"->requested", "requested>armed", "armed>cancelled"});
  // The tag is free again.
  core::AuthorizationContext context{"CP-STD", std::nullopt, std::nullopt, true};
  CHECK(central->authorization().authorize(context, "TAG-A").status !=
        core::AuthorizationStatus::Blocked);
}

TEST_CASE_METHOD(LockFixture, "standard piles: the central system answers Blocked itself") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"}, {"EVCC-A"});
  pile("CP-STD", core::GeoLocation{50, 8});
  core::IdTag tag;
  tag.id_tag = "TAG-A";
  central->authorization().put_id_tag(tag);  // an accepted card otherwise
  const std::string id = central->locks().request_lock({alice, kVin, {}}).lock.id;
  answer("CP-STD", kUnknownVendor);

  core::AuthorizationContext authorize{"CP-STD", std::nullopt, std::nullopt, true};
  CHECK(central->authorization().authorize(authorize, "TAG-A").status ==
        core::AuthorizationStatus::Blocked);
  auto view = *central->locks().find(id);
  CHECK(view.lock.status == core::LockStatus::Engaged);
  CHECK(view.lock.engaged_without_hold);
  CHECK(view.lock.charge_point_id == std::optional<std::string>("CP-STD"));
  CHECK_FALSE(view.lock.connector_id);
  auto notes = central->notifications().list(alice, 0);
  REQUIRE(notes.size() == 2);
  CHECK(notes[1].kind == "vehicle_caught");
  CHECK(notes[1].body_json.find(R"("engagedWithoutHold":true)") != std::string::npos);

  // StartTransaction with the EVCC id (Autocharge): Blocked as well.
  core::StartTransactionRequest start;
  start.connector_id = 1;
  start.id_tag = "EVCC-A";
  start.meter_start = 0;
  start.timestamp = core::Clock::now();
  CHECK(central->transactions().start("CP-STD", start).id_tag_info.status ==
        core::AuthorizationStatus::Blocked);
  // A pile with the extension may still hold it: VehicleLocked upgrades.
  CHECK(vehicle_locked(*central, "CP-STD",
                       R"({"lockId":")" + id + R"(","connectorId":1,"idTag":"TAG-A"})")
            .status == core::DataTransferStatus::Accepted);
  view = *central->locks().find(id);
  CHECK_FALSE(view.lock.engaged_without_hold);
  CHECK(view.lock.connector_id == std::optional<int>(1));
}

TEST_CASE_METHOD(LockFixture, "release of a catch without hold ends the lock at once") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-STD");
  const std::string id = central->locks().request_lock({alice, kVin, {}}).lock.id;
  answer("CP-STD", kUnknownVendor);
  core::AuthorizationContext authorize{"CP-STD", 1, std::nullopt, true};
  CHECK(central->authorization().authorize(authorize, "TAG-A").status ==
        core::AuthorizationStatus::Blocked);
  CHECK(central->locks().release(alice, id).lock.status == core::LockStatus::Released);
  CHECK(central->authorization().authorize(authorize, "TAG-A").status ==
        core::AuthorizationStatus::Accepted);  // the owner's card works again
}

TEST_CASE_METHOD(LockFixture, "piles that boot are armed: new ones, and again after a reboot") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-1", core::GeoLocation{48.1, 11.5});
  const std::string id =
      central->locks().request_lock({alice, kVin, {10.0, core::GeoLocation{48.1, 11.5}}}).lock.id;
  CHECK(queued("CP-1").size() == 1);
  core::BootInfo boot{"Vendor", "Model", {}, {}, {}, {}, {}, {}, {}};
  central->charge_points().boot("CP-1", boot);
  CHECK(queued("CP-1").size() == 1);  // still queued: not twice
  answer("CP-1", kAccepted);
  CHECK(central->locks().find(id)->piles.armed == 1);
  central->charge_points().boot("CP-1", boot);  // reboot: armed again
  CHECK(queued("CP-1").size() == 1);
  CHECK(central->locks().find(id)->piles.armed == 1);

  pile("CP-NEAR", core::GeoLocation{48.12, 11.52});
  pile("CP-FAR", core::GeoLocation{40, 3});
  central->charge_points().boot("CP-NEAR", boot);
  central->charge_points().boot("CP-FAR", boot);
  CHECK(queued("CP-NEAR").size() == 1);
  CHECK(queued("CP-FAR").empty());
  answer("CP-NEAR", kUnknownVendor);
  central->charge_points().boot("CP-NEAR", boot);  // unsupported: not again
  CHECK(queued("CP-NEAR").empty());
  const auto view = *central->locks().find(id);
  CHECK(view.piles.armed == 1);
  CHECK(view.piles.unsupported == 1);
}

TEST_CASE_METHOD(LockFixture, "piles that declare hashed matching never see the identifiers") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"}, {"VID:00:1A:2B:3C:4D:5E"});
  pile("CP-HASH");
  pile("CP-CLEAR");
  const auto declared = central->data_transfers().receive(
      "CP-HASH",
      {"org.chargelock", std::string("Capabilities"), std::string(R"({"match":["sha256"]})")});
  CHECK(declared.status == core::DataTransferStatus::Accepted);
  CHECK(central->data_transfers()
            .receive("CP-HASH", {"org.chargelock", std::string("Capabilities"), std::string("[]")})
            .status == core::DataTransferStatus::Rejected);
  const std::string id = central->locks().request_lock({alice, kVin, {}}).lock.id;

  const auto hashed = queued("CP-HASH");
  REQUIRE(hashed.size() == 1);
  rapidjson::Document payload;
  payload.Parse(hashed[0].payload_json.c_str());
  rapidjson::Document data;
  data.Parse(payload["data"].GetString());
  CHECK(std::string(data["lockId"].GetString()) == id);
  CHECK(std::string(data["match"].GetString()) == "sha256");
  const std::string salt = data["salt"].GetString();
  CHECK(salt.size() == 32);
  CHECK(std::string(data["vinHash"].GetString()) == core::sha256_hex(salt + kVin));
  CHECK(std::string(data["idTagHashes"][0].GetString()) == core::sha256_hex(salt + "TAG-A"));
  CHECK(std::string(data["evccIdHashes"][0].GetString()) ==
        core::sha256_hex(salt + "001A2B3C4D5E"));
  CHECK(hashed[0].payload_json.find(kVin) == std::string::npos);
  CHECK(hashed[0].payload_json.find("TAG-A") == std::string::npos);
  // A pile that declared nothing gets the clear form.
  const auto clear = queued("CP-CLEAR");
  REQUIRE(clear.size() == 1);
  CHECK(clear[0].payload_json.find(kVin) != std::string::npos);
  // The hashed pile reports what it saw in clear.
  REQUIRE(central->commands().complete(*central->commands().claim_next("CP-HASH"), kAccepted));
  CHECK(vehicle_locked(*central, "CP-HASH",
                       R"({"lockId":")" + id + R"(","connectorId":1,"evccId":"001a2b3c4d5e"})")
            .status == core::DataTransferStatus::Accepted);
}

TEST_CASE_METHOD(LockFixture, "locks expire, the owner is warned a day before, once") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-EXT");
  auto& locks = central->locks();
  const std::string id = locks.request_lock({alice, kVin, {}}).lock.id;
  answer("CP-EXT", kAccepted);
  const auto kinds = [&] {
    std::vector<std::string> out;
    for (const auto& n : central->notifications().list(alice, 0)) out.push_back(n.kind);
    return out;
  };
  // Simulated time: the lock's expiry moves, not the clock.
  database.scalar("UPDATE vehicle_locks SET expires_at = now() + interval '12 hours' WHERE id = '" +
                  id + "' RETURNING 1");
  locks.sweep();
  locks.sweep();
  const auto warned = kinds();
  CHECK(std::count(warned.begin(), warned.end(), "lock_expiring") == 1);
  // Renewed: a new warning later, not now.
  locks.change(id, {alice, core::Clock::now() + std::chrono::hours(72), std::nullopt});
  CHECK(locks.find(id)->lock.expiry_warned_at == std::nullopt);
  database.scalar("UPDATE vehicle_locks SET expires_at = now() - interval '1 second' WHERE id = '" +
                  id + "' RETURNING 1");
  locks.sweep();
  const auto ended = *locks.find(id);
  CHECK(ended.lock.status == core::LockStatus::Expired);
  CHECK(ended.piles.pending_offline == 1);  // UnlockVehicle not answered yet
  CHECK(queued("CP-EXT").size() == 1);      // UnlockVehicle
  answer("CP-EXT", kAccepted);
  CHECK(locks.find(id)->piles.disarmed == 1);
  CHECK(kinds().back() == "lock_state");
  CHECK_THROWS_AS(locks.change(id, {alice, std::nullopt, std::string("X-1")}), core::ConflictError);
}

TEST_CASE("one owner cannot flood the network: vehicles per owner, lock requests per hour") {
  LockFixture f;
  const auto alice = f.owner("alice");
  f.vehicle(alice, kVin, {});
  auto& locks = f.central->locks();
  for (int i = 0; i < 6; ++i) {
    const auto lock = locks.request_lock({alice, kVin, {}});
    locks.release(alice, lock.lock.id);
  }
  CHECK_THROWS_AS(locks.request_lock({alice, kVin, {}}), core::LimitError);
  for (int i = 2; i <= 20; ++i)
    f.central->vehicles().register_vehicle({alice, fmt::format("WVWZZZ1JZXW{:06}", i), {}, {}});
  CHECK_THROWS_AS(f.central->vehicles().register_vehicle({alice, "WVWZZZ1JZXW000021", {}, {}}),
                  core::LimitError);
}

TEST_CASE_METHOD(LockFixture,
                 "a pile that reconnects without a boot gets what lapsed, nothing more") {
  const auto alice = owner("alice");
  vehicle(alice, kVin, {"TAG-A"});
  pile("CP-1");
  pile("CP-2");
  auto& locks = central->locks();
  const std::string id = locks.request_lock({alice, kVin, {}}).lock.id;
  // CP-1 armed; CP-2's LockVehicle was sent and never answered.
  answer("CP-1", kAccepted);
  auto sent = central->commands().claim_next("CP-2");
  REQUIRE(sent);
  REQUIRE(central->commands().time_out(sent->id, "no answer"));
  // The timed-out delivery is queued again at once (the lock observes it).
  REQUIRE(queued("CP-2").size() == 1);
  answer("CP-2", kAccepted);
  CHECK(locks.find(id)->piles.armed == 2);

  // Both reconnect without booting: they kept their watch lists, nothing
  // is sent again.
  central->charge_points().connected("CP-1");
  central->charge_points().connected("CP-2");
  CHECK(queued("CP-1").empty());
  CHECK(queued("CP-2").empty());
  // A boot may have wiped the watch list: armed again.
  core::BootInfo boot;
  boot.vendor = "Vendor";
  boot.model = "Model";
  central->charge_points().boot("CP-1", boot);
  CHECK(queued("CP-1").size() == 1);
}

TEST_CASE_METHOD(LockFixture,
                 "a release sends no UnlockVehicle where another lock holds its vehicle") {
  const auto alice = owner("alice");
  const auto bob = owner("bob");
  vehicle(alice, kVin, {"TAG-A"});
  vehicle(bob, "WVWZZZ1JZXW000002", {"TAG-B"});
  pile("CP-1");
  pile("CP-2");
  const std::string a = central->locks().request_lock({alice, kVin, {}}).lock.id;
  const std::string b = central->locks().request_lock({bob, "WVWZZZ1JZXW000002", {}}).lock.id;
  CHECK(answer("CP-1", kAccepted).size() == 2);
  CHECK(answer("CP-2", kAccepted).size() == 2);
  // Bob's car is held at CP-1.
  CHECK(vehicle_locked(*central, "CP-1",
                       R"({"lockId":")" + b + R"(","connectorId":1,"idTag":"TAG-B"})")
            .status == core::DataTransferStatus::Accepted);
  REQUIRE(central->locks().find(b)->lock.status == core::LockStatus::Engaged);

  // Alice's release goes through and asks only CP-2 to let go of her lock
  // (asked per pile, the guard's refusal at CP-1 threw out of the whole
  // release after the lock was cancelled: no pile got UnlockVehicle).
  const auto view = central->locks().release(alice, a);
  CHECK(view.lock.status == core::LockStatus::Cancelled);
  CHECK(queued("CP-1").empty());
  const auto to_2 = queued("CP-2");
  REQUIRE(to_2.size() == 1);
  CHECK(to_2[0].payload_json == core::lock_codec::unlock_vehicle_payload(a));
}
