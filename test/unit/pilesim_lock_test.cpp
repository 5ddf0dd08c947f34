// The lock extension in the pile simulator (SPEC §4): the watch list, its
// wire format, and a pile holding a locked vehicle.
#include <catch2/catch.hpp>

#include "base/json_writer.h"
#include "simulators/pilesim/lock_extension.h"
#include "simulators/pilesim/lock_watch_list.h"
#include "simulators/pilesim/salted_hash.h"
#include "test/unit/pilesim_fake_csms.h"

using namespace pilesim_test;

namespace {

LockEntry clear_lock(std::string lock_id, std::string vin, std::vector<std::string> id_tags,
                     std::vector<std::string> evcc_ids) {
  LockEntry entry;
  entry.lock_id = std::move(lock_id);
  entry.vin = std::move(vin);
  entry.id_tags = std::move(id_tags);
  entry.evcc_ids = std::move(evcc_ids);
  return entry;
}

LockEntry stolen_car() {
  return clear_lock("L-1", "WVWZZZ1JZXW000001", {"TAG-STOLEN"}, {"EVCC-00AA11"});
}

std::string lock_request(const std::string& data) {
  rapidjson::Document doc;
  doc.SetObject();
  doc.AddMember("vendorId", "org.chargelock", doc.GetAllocator());
  doc.AddMember("messageId", "LockVehicle", doc.GetAllocator());
  doc.AddMember("data", rapidjson::Value(data.c_str(), doc.GetAllocator()), doc.GetAllocator());
  return json::to_text(doc);
}

const char* const kLockData =
    R"({"lockId":"L-1","vin":"WVWZZZ1JZXW000001","idTags":["TAG-STOLEN"],"evccIds":["EVCC-00AA11"]})";

std::string unlock_request(const std::string& lock_id) {
  return R"({"vendorId":"org.chargelock","messageId":"UnlockVehicle","data":"{\"lockId\":\")" +
         lock_id + R"(\"}"})";
}

// LockVehicle data in the hashed form (version 2) for the stolen car: its
// VIN, id tag and EVCC id 00:1A:2B:3C:4D:5E, each hashed in compare form.
const char* const kSalt = "00112233445566778899aabbccddeeff";
std::string hashed_lock_data(const std::string& lock_id) {
  // Upper-case hex is still the same hash.
  std::string tag_hash = salted_sha256_hex(kSalt, "TAG-STOLEN");
  for (char& c : tag_hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  chargelock::base::JsonWriter data;
  data.begin_object()
      .field("lockId", lock_id)
      .field("match", "sha256")
      .field("salt", kSalt)
      .field("vinHash", salted_sha256_hex(kSalt, "WVWZZZ1JZXW000001"))
      .strings("idTagHashes", {tag_hash})
      .strings("evccIdHashes", {salted_sha256_hex(kSalt, "001A2B3C4D5E")})
      .end_object();
  return data.str();
}

PileConfig hashed_matching_pile(int connectors = 1) {
  PileConfig config = pile_config(connectors);
  config.hashed_matching = true;
  return config;
}

PileConfig pile_that_cannot_hold(int connectors = 1) {
  PileConfig config = pile_config(connectors);
  config.holds_cable = false;
  return config;
}

rapidjson::Document data_of(const SentCall& call) {
  rapidjson::Document doc;
  doc.Parse(call.str("data").c_str());
  return doc;
}

}  // namespace

TEST_CASE("pilesim lock watch list: arm, match by each identifier, disarm") {
  LockWatchList list;
  CHECK_FALSE(list.match(vehicle("TAG-STOLEN")).has_value());
  CHECK(list.arm(stolen_car()));
  CHECK(list.armed("L-1"));

  const auto by_tag = list.match(vehicle("TAG-STOLEN"));
  REQUIRE(by_tag);
  CHECK(by_tag->lock_id == "L-1");
  CHECK(by_tag->kind == IdentifierKind::IdTag);
  CHECK(by_tag->value == "TAG-STOLEN");
  // RFID UIDs compare exactly (docs/lock-extension.md "Matching identifiers").
  CHECK_FALSE(list.match(vehicle("tag-stolen")).has_value());

  const auto by_evcc = list.match(vehicle("", "EVCC-00AA11"));
  REQUIRE(by_evcc);
  CHECK(by_evcc->kind == IdentifierKind::EvccId);

  const auto by_vin = list.match(vehicle("TAG-OTHER", "", "wvwzzz1jzxw000001"));
  REQUIRE(by_vin);
  CHECK(by_vin->kind == IdentifierKind::Vin);

  // The id tag wins when several identifiers match.
  CHECK(list.match(vehicle("TAG-STOLEN", "EVCC-00AA11", "WVWZZZ1JZXW000001"))->kind ==
        IdentifierKind::IdTag);
  CHECK_FALSE(list.match(vehicle("TAG-OTHER", "EVCC-OTHER", "VIN-OTHER")).has_value());
  CHECK_FALSE(list.match(vehicle("", "", "")).has_value());

  // Re-arming replaces; disarming forgets.
  CHECK_FALSE(list.arm(clear_lock("L-1", "", {"TAG-NEW"}, {})));
  CHECK(list.size() == 1);
  CHECK_FALSE(list.match(vehicle("TAG-STOLEN")).has_value());
  CHECK(list.match(vehicle("TAG-NEW")).has_value());
  CHECK(list.disarm("L-1"));
  CHECK_FALSE(list.disarm("L-1"));
  CHECK(list.empty());
  CHECK_FALSE(list.match(vehicle("TAG-NEW")).has_value());
}

TEST_CASE("pilesim lock extension: LockVehicle data is parsed strictly") {
  std::string error;
  const auto entry = parse_lock_vehicle(kLockData, &error);
  REQUIRE(entry);
  CHECK(entry->lock_id == "L-1");
  CHECK(entry->vin == "WVWZZZ1JZXW000001");
  CHECK(entry->id_tags == std::vector<std::string>{"TAG-STOLEN"});
  CHECK(entry->evcc_ids == std::vector<std::string>{"EVCC-00AA11"});
  CHECK(parse_lock_vehicle(R"({"lockId":"L-2","vin":"V"})", nullptr));
  CHECK_FALSE(parse_lock_vehicle("not json", &error));
  CHECK_FALSE(parse_lock_vehicle(R"({"vin":"V"})", &error));
  CHECK_THAT(error, Catch::Contains("lockId"));
  CHECK_FALSE(parse_lock_vehicle(R"({"lockId":"L","idTags":"TAG"})", &error));
  CHECK_FALSE(parse_lock_vehicle(R"({"lockId":"L"})", &error));
  CHECK(parse_unlock_vehicle(R"({"lockId":"L-1"})") == std::optional<std::string>("L-1"));
  CHECK_FALSE(parse_unlock_vehicle("{}"));

  rapidjson::Document data;
  data.Parse(vehicle_locked_data(LockMatch{"L-1", IdentifierKind::EvccId, "EVCC-1"}, 2).c_str());
  CHECK(std::string(data["lockId"].GetString()) == "L-1");
  CHECK(data["connectorId"].GetInt() == 2);
  CHECK(std::string(data["evccId"].GetString()) == "EVCC-1");
  CHECK(data.MemberCount() == 3);
}

TEST_CASE("pilesim: LockVehicle arms the pile and a matching vehicle is held") {
  FakeCsms csms(pile_config(2));
  csms.boot();
  CHECK(csms.cs_status("DataTransfer", lock_request(kLockData)) == "Accepted");
  CHECK(csms.pile.watch_list().armed("L-1"));
  csms.calls.clear();

  Vehicle car;
  std::string expected_member;
  SECTION("matched by id tag") {
    car = vehicle("TAG-STOLEN");
    expected_member = "idTag";
  }
  SECTION("matched by EVCC id") {
    car = vehicle("", "EVCC-00AA11");
    expected_member = "evccId";
  }
  SECTION("matched by VIN") {
    car = vehicle("TAG-THIEF", "", "WVWZZZ1JZXW000001");
    expected_member = "vin";
  }
  const auto plugged = csms.pile.plug_in(2, car, true, csms.now);
  CHECK(plugged.ok);
  csms.exchange();

  // The central system is told, and no energy flows.
  REQUIRE(csms.sent("DataTransfer").size() == 1);
  const SentCall& locked = *csms.sent("DataTransfer")[0];
  CHECK(locked.str("vendorId") == "org.chargelock");
  CHECK(locked.str("messageId") == "VehicleLocked");
  const auto data = data_of(locked);
  CHECK(std::string(data["lockId"].GetString()) == "L-1");
  CHECK(data["connectorId"].GetInt() == 2);
  REQUIRE(data.HasMember(expected_member.c_str()));
  CHECK(data.MemberCount() == 3);
  CHECK(csms.sent("Authorize").empty());
  CHECK(csms.sent("StartTransaction").empty());
  CHECK(csms.pile.held_by(2) == "L-1");
  CHECK(csms.statuses(2) == std::vector<std::string>{"Preparing"});

  // The cable stays locked: the car cannot leave and cannot charge.
  CHECK_FALSE(csms.pile.unplug(2, csms.now).ok);
  CHECK_FALSE(csms.pile.start_charging(2, csms.now).ok);
  CHECK(csms.cs_status("RemoteStartTransaction", R"({"idTag":"X","connectorId":2})") == "Rejected");
  csms.advance(3600000);
  CHECK(csms.pile.plugged(2));
  CHECK(csms.pile.held_by(2) == "L-1");
  CHECK(csms.sent("StartTransaction").empty());
  // The other connector works as usual.
  csms.pile.plug_in(1, vehicle("TAG-OK"), true, csms.now);
  csms.exchange();
  CHECK(csms.pile.charging(1));
}

TEST_CASE("pilesim: UnlockVehicle disarms the lock and releases the cable") {
  FakeCsms csms;
  csms.boot();
  csms.cs_status("DataTransfer", lock_request(kLockData));
  csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
  csms.exchange();
  REQUIRE(csms.pile.held_by(1) == "L-1");
  CHECK(csms.cs_status("DataTransfer", unlock_request("L-OTHER")) == "Accepted");
  CHECK(csms.pile.held_by(1) == "L-1");
  CHECK(csms.cs_status("DataTransfer", unlock_request("L-1")) == "Accepted");
  CHECK(csms.pile.held_by(1).empty());
  CHECK(csms.pile.watch_list().empty());
  CHECK(csms.pile.unplug(1, csms.now).ok);
  // Disarmed: the same vehicle now charges normally.
  csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
  csms.exchange();
  CHECK(csms.pile.charging(1));
  CHECK(csms.sent("DataTransfer").size() == 1);
}

TEST_CASE("pilesim: UnlockConnector releases a held vehicle but keeps the lock armed") {
  FakeCsms csms;
  csms.boot();
  csms.cs_status("DataTransfer", lock_request(kLockData));
  csms.pile.plug_in(1, vehicle("", "", "WVWZZZ1JZXW000001"), true, csms.now);
  csms.exchange();
  REQUIRE(csms.pile.held_by(1) == "L-1");
  CHECK(csms.cs_status("UnlockConnector", R"({"connectorId":1})") == "Unlocked");
  CHECK(csms.pile.held_by(1).empty());
  CHECK(csms.pile.unplug(1, csms.now).ok);
  CHECK(csms.pile.watch_list().armed("L-1"));
  csms.pile.plug_in(1, vehicle("", "", "WVWZZZ1JZXW000001"), true, csms.now);
  csms.exchange();
  CHECK(csms.pile.held_by(1) == "L-1");
  CHECK(csms.sent("DataTransfer").size() == 2);
}

TEST_CASE("pilesim: VehicleLocked caught offline is sent after the reconnect") {
  FakeCsms csms;
  csms.boot();
  csms.cs_status("DataTransfer", lock_request(kLockData));
  csms.pile.go_offline(60000, csms.now);
  REQUIRE(csms.pile.take_disconnect_request());
  csms.pile.on_disconnected(csms.now);
  csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
  CHECK(csms.pile.held_by(1) == "L-1");  // the lock survives the connection loss
  csms.advance(60000);
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  REQUIRE(csms.sent("DataTransfer").size() == 1);
  CHECK(csms.sent("DataTransfer")[0]->str("messageId") == "VehicleLocked");
}

TEST_CASE("pilesim: other lock-extension messages are answered per SPEC §4") {
  FakeCsms csms;
  csms.boot();
  CHECK(csms.cs_status("DataTransfer",
                       R"({"vendorId":"org.chargelock","messageId":"LockVehicle","data":"{}"})") ==
        "Rejected");
  CHECK(csms.cs_status("DataTransfer", R"({"vendorId":"org.chargelock","messageId":"Bogus"})") ==
        "UnknownMessageId");
  CHECK(csms.cs_status("DataTransfer", R"({"vendorId":"com.other","messageId":"LockVehicle"})") ==
        "UnknownVendorId");
  CHECK(csms.pile.watch_list().empty());
}

TEST_CASE("pilesim: a standard pile knows no lock extension") {
  FakeCsms csms(pile_config(1, false));
  csms.boot();
  CHECK(csms.cs_status("DataTransfer", lock_request(kLockData)) == "UnknownVendorId");
  CHECK(csms.pile.watch_list().empty());
  csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
  csms.exchange();
  CHECK(csms.sent("DataTransfer").empty());
  CHECK(csms.sent("Authorize").size() == 1);  // the central system decides
}

TEST_CASE("pilesim: the lock survives a Reset") {
  FakeCsms csms;
  csms.boot();
  csms.cs_status("DataTransfer", lock_request(kLockData));
  csms.cs_status("Reset", R"({"type":"Soft"})");
  csms.advance(500);
  REQUIRE(csms.pile.take_disconnect_request());
  csms.pile.on_disconnected(csms.now);
  csms.advance(3000);
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
  csms.exchange();
  CHECK(csms.pile.held_by(1) == "L-1");
}

TEST_CASE("pilesim lock watch list: every form of an EVCC id is one EVCC id") {
  LockWatchList list;
  list.arm(clear_lock("L-1", "", {}, {"VID:00:1A:2B:3C:4D:5E"}));
  for (const char* presented :
       {"001a2b3c4d5e", "001A2B3C4D5E", "VID:001A2B3C4D5E", "vid:001a2b3c4d5e", "00-1a-2b-3c-4d-5e",
        "00:1A:2B:3C:4D:5E", "001A.2B3C.4D5E"}) {
    INFO(presented);
    const auto match = list.match(vehicle("", presented));
    REQUIRE(match);
    CHECK(match->kind == IdentifierKind::EvccId);
    CHECK(match->value == presented);  // reported as the pile saw it
  }
  CHECK_FALSE(list.match(vehicle("", "001A2B3C4D5F")).has_value());
  CHECK_FALSE(list.match(vehicle("", "VID:")).has_value());
  // Autocharge piles authorize with the EV's MAC as the id tag.
  const auto autocharge = list.match(vehicle("VID:001A2B3C4D5E"));
  REQUIRE(autocharge);
  CHECK(autocharge->kind == IdentifierKind::EvccId);
  CHECK(autocharge->value == "VID:001A2B3C4D5E");
}

TEST_CASE("pilesim lock watch list: a VIN matches without regard to case, also as the id tag") {
  LockWatchList list;
  list.arm(clear_lock("L-1", "WVWZZZ1JZXW000001", {}, {}));
  const auto by_vin = list.match(vehicle("TAG-THIEF", "", "wvwzzz1jzxw000001"));
  REQUIRE(by_vin);
  CHECK(by_vin->kind == IdentifierKind::Vin);
  CHECK(by_vin->value == "wvwzzz1jzxw000001");
  // GB/T "VIN charging": the pile only sees the VIN as the id tag.
  const auto vin_as_tag = list.match(vehicle("wvwzzz1jzxw000001"));
  REQUIRE(vin_as_tag);
  CHECK(vin_as_tag->kind == IdentifierKind::Vin);
  CHECK(vin_as_tag->value == "wvwzzz1jzxw000001");
  CHECK_FALSE(list.match(vehicle("WVWZZZ1JZXW000002")).has_value());
}

TEST_CASE("pilesim lock watch list: hashed locks match by the salted hash of the compare form") {
  // sha256("abc"): the salt text comes first, then the identifier.
  CHECK(salted_sha256_hex("a", "bc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string error;
  auto entry = parse_lock_vehicle(hashed_lock_data("L-H"), &error);
  INFO(error);
  REQUIRE(entry);
  REQUIRE(entry->hashed);
  CHECK(entry->vin.empty());
  LockWatchList list;
  list.arm(std::move(*entry));

  struct Case {
    Vehicle car;
    IdentifierKind kind;
    std::string seen;
  };
  for (const Case& c :
       {Case{vehicle("TAG-STOLEN"), IdentifierKind::IdTag, "TAG-STOLEN"},
        Case{vehicle("", "vid:00-1a-2b-3c-4d-5e"), IdentifierKind::EvccId, "vid:00-1a-2b-3c-4d-5e"},
        Case{vehicle("TAG-THIEF", "", "wvwzzz1jzxw000001"), IdentifierKind::Vin,
             "wvwzzz1jzxw000001"},
        Case{vehicle("WVWZZZ1JZXW000001"), IdentifierKind::Vin, "WVWZZZ1JZXW000001"}}) {
    INFO(c.seen);
    const auto match = list.match(c.car);
    REQUIRE(match);
    CHECK(match->lock_id == "L-H");
    CHECK(match->kind == c.kind);
    CHECK(match->value == c.seen);
  }
  CHECK_FALSE(list.match(vehicle("tag-stolen")).has_value());
  CHECK_FALSE(list.match(vehicle("TAG-OTHER", "001A2B3C4D5F", "WVWZZZ1JZXW000002")).has_value());
}

TEST_CASE("pilesim lock extension: hashed LockVehicle data is parsed strictly") {
  std::string error;
  CHECK_FALSE(
      parse_lock_vehicle(R"({"lockId":"L","match":"md5","salt":"s","vinHash":"ab"})", &error));
  CHECK_THAT(error, Catch::Contains("sha256"));
  CHECK_FALSE(parse_lock_vehicle(R"({"lockId":"L","match":"sha256","vinHash":"ab"})", &error));
  CHECK_THAT(error, Catch::Contains("salt"));
  CHECK_FALSE(parse_lock_vehicle(R"({"lockId":"L","match":"sha256","salt":"s"})", &error));
  CHECK_FALSE(parse_lock_vehicle(R"({"lockId":"L","match":"sha256","salt":"s","idTagHashes":"ab"})",
                                 &error));
  CHECK(hashed_matching_capabilities_data() == R"({"match":["sha256"]})");
}

TEST_CASE("pilesim: LockVehicle holds a matching vehicle that is already charging") {
  FakeCsms csms(pile_config(2));
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-OK"), true, csms.now);
  csms.pile.plug_in(2, vehicle("", "00:1A:2B:3C:4D:5E"), true, csms.now);
  csms.exchange();
  REQUIRE(csms.pile.charging(2));
  const auto transaction = csms.pile.transaction_id(2);
  REQUIRE(transaction);
  csms.advance(120000);
  csms.calls.clear();

  const std::string data =
      R"({"lockId":"L-1","vin":"WVWZZZ1JZXW000001","evccIds":["VID:001A2B3C4D5E"]})";
  CHECK(csms.cs_status("DataTransfer", lock_request(data)) == "Accepted");

  // The energy stops: the transaction ends, reason Other.
  CHECK_FALSE(csms.pile.charging(2));
  REQUIRE(csms.sent("StopTransaction").size() == 1);
  const SentCall& stop = *csms.sent("StopTransaction")[0];
  CHECK(stop.num("transactionId") == *transaction);
  CHECK(stop.str("reason") == "Other");
  // The central system is told which vehicle is held where, as seen.
  REQUIRE(csms.sent_extension("VehicleLocked").size() == 1);
  const auto locked = data_of(*csms.sent_extension("VehicleLocked")[0]);
  CHECK(std::string(locked["lockId"].GetString()) == "L-1");
  CHECK(locked["connectorId"].GetInt() == 2);
  CHECK(std::string(locked["evccId"].GetString()) == "00:1A:2B:3C:4D:5E");
  CHECK_FALSE(locked.HasMember("held"));
  // The cable stays locked and no new transaction starts.
  CHECK(csms.pile.held_by(2) == "L-1");
  CHECK_FALSE(csms.pile.unplug(2, csms.now).ok);
  CHECK_FALSE(csms.pile.start_charging(2, csms.now).ok);
  const std::size_t meter_values_before = csms.sent("MeterValues").size();
  csms.advance(600000);
  for (std::size_t i = meter_values_before; i < csms.sent("MeterValues").size(); ++i) {
    CHECK(csms.sent("MeterValues")[i]->num("connectorId") == 1);
  }
  CHECK(csms.sent("StartTransaction").empty());
  // The other vehicle charges on.
  CHECK(csms.pile.charging(1));
  CHECK(csms.sent("StopTransaction").size() == 1);
}

TEST_CASE("pilesim: LockVehicle holds a matching vehicle plugged in but not charging") {
  FakeCsms csms;
  csms.boot();
  // GB/T VIN charging: the vehicle's only identifier is its VIN, used as id tag.
  csms.pile.plug_in(1, vehicle("wvwzzz1jzxw000001"), false, csms.now);
  csms.exchange();
  CHECK(csms.cs_status("DataTransfer", lock_request(kLockData)) == "Accepted");
  REQUIRE(csms.sent_extension("VehicleLocked").size() == 1);
  const auto locked = data_of(*csms.sent_extension("VehicleLocked")[0]);
  CHECK(std::string(locked["vin"].GetString()) == "wvwzzz1jzxw000001");
  CHECK(csms.pile.held_by(1) == "L-1");
  CHECK_FALSE(csms.pile.start_charging(1, csms.now).ok);
  CHECK(csms.cs_status("RemoteStartTransaction", R"({"idTag":"X","connectorId":1})") == "Rejected");
  CHECK(csms.sent("StopTransaction").empty());
  CHECK(csms.sent("StartTransaction").empty());
  CHECK(csms.statuses(1).back() == "Preparing");
}

TEST_CASE("pilesim: a repeated LockVehicle is a refresh") {
  FakeCsms csms;
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
  csms.exchange();
  REQUIRE(csms.pile.charging(1));
  CHECK(csms.cs_status("DataTransfer", lock_request(kLockData)) == "Accepted");
  REQUIRE(csms.pile.held_by(1) == "L-1");
  // Re-sent after a timeout or a reconnect: Accepted, one entry, one report.
  CHECK(csms.cs_status("DataTransfer", lock_request(kLockData)) == "Accepted");
  CHECK(csms.cs_status("DataTransfer", lock_request(kLockData)) == "Accepted");
  CHECK(csms.pile.watch_list().size() == 1);
  CHECK(csms.stats.locks_armed == 1);
  CHECK(csms.sent_extension("VehicleLocked").size() == 1);
  CHECK(csms.sent("StopTransaction").size() == 1);
  CHECK(csms.pile.held_by(1) == "L-1");
}

TEST_CASE("pilesim: a pile that cannot hold the cable reports held false") {
  FakeCsms csms(pile_that_cannot_hold(2));
  csms.boot();
  SECTION("a vehicle that plugs in after the lock") {
    csms.cs_status("DataTransfer", lock_request(kLockData));
    CHECK(csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now).ok);
    csms.exchange();
  }
  SECTION("a vehicle already charging when the lock comes") {
    csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
    csms.exchange();
    REQUIRE(csms.pile.charging(1));
    csms.cs_status("DataTransfer", lock_request(kLockData));
    REQUIRE(csms.sent("StopTransaction").size() == 1);
    CHECK(csms.sent("StopTransaction")[0]->str("reason") == "Other");
  }
  REQUIRE(csms.sent_extension("VehicleLocked").size() == 1);
  const auto locked = data_of(*csms.sent_extension("VehicleLocked")[0]);
  CHECK(std::string(locked["idTag"].GetString()) == "TAG-STOLEN");
  CHECK(locked["connectorId"].GetInt() == 1);
  REQUIRE(locked.HasMember("held"));
  CHECK(locked["held"].IsFalse());
  // Not held: the connector is not kept locked, the car may leave...
  CHECK(csms.pile.held_by(1).empty());
  CHECK(csms.pile.caught_by(1) == "L-1");
  CHECK(csms.stats.vehicles_held == 0);
  // ...but it gets no energy from this pile.
  CHECK_FALSE(csms.pile.charging(1));
  CHECK_FALSE(csms.pile.start_charging(1, csms.now).ok);
  // A refresh of the lock reports the same vehicle no second time.
  CHECK(csms.cs_status("DataTransfer", lock_request(kLockData)) == "Accepted");
  CHECK(csms.sent_extension("VehicleLocked").size() == 1);
  CHECK(csms.pile.unplug(1, csms.now).ok);
  CHECK(csms.pile.caught_by(1).empty());
}

TEST_CASE("pilesim: Capabilities is declared after an accepted boot, only with hashed matching") {
  SECTION("a pile without hashed matching declares nothing") {
    FakeCsms csms;
    csms.boot();
    csms.advance(1000);
    CHECK(csms.sent_extension("Capabilities").empty());
  }
  SECTION("a pile with hashed matching declares sha256 once booted, at every boot") {
    FakeCsms csms(hashed_matching_pile());
    csms.answer["BootNotification"] = [](const SentCall&) {
      return std::string(
          R"({"status":"Pending","currentTime":"2023-11-14T22:13:20Z","interval":10})");
    };
    csms.pile.power_on(csms.now);
    REQUIRE(csms.pile.take_connect_request());
    csms.pile.on_connected(csms.now);
    csms.exchange();
    CHECK(csms.pile.registration() == Registration::Pending);
    CHECK(csms.sent("DataTransfer").empty());

    csms.answer.erase("BootNotification");
    csms.advance(10000);
    REQUIRE(csms.pile.registration() == Registration::Accepted);
    REQUIRE(csms.sent_extension("Capabilities").size() == 1);
    CHECK(csms.sent_extension("Capabilities")[0]->str("data") == R"({"match":["sha256"]})");
    // Declared before anything else the booted pile sends.
    const auto actions = csms.actions();
    const auto last_boot = std::find(actions.rbegin(), actions.rend(), "BootNotification");
    REQUIRE(last_boot != actions.rend());
    const auto after_boot = last_boot.base();  // the action right after the accepted boot
    REQUIRE(after_boot != actions.end());
    CHECK(*after_boot == "DataTransfer");

    // A new connection is a new boot: declared again.
    csms.pile.drop_connection(csms.now);
    REQUIRE(csms.pile.take_disconnect_request());
    csms.pile.on_disconnected(csms.now);
    csms.advance(5000);
    REQUIRE(csms.pile.take_connect_request());
    csms.pile.on_connected(csms.now);
    csms.exchange();
    CHECK(csms.sent_extension("Capabilities").size() == 2);
  }
}

TEST_CASE("pilesim: a hashed LockVehicle is matched and the catch reported in clear") {
  FakeCsms csms(hashed_matching_pile(2));
  csms.boot();
  csms.pile.plug_in(1, vehicle("", "00-1a-2b-3c-4d-5e"), true, csms.now);
  csms.exchange();
  REQUIRE(csms.pile.charging(1));
  CHECK(csms.cs_status("DataTransfer", lock_request(hashed_lock_data("L-H"))) == "Accepted");
  // Already plugged in: caught at once, reported with the EVCC id as seen.
  REQUIRE(csms.sent_extension("VehicleLocked").size() == 1);
  auto locked = data_of(*csms.sent_extension("VehicleLocked")[0]);
  CHECK(std::string(locked["lockId"].GetString()) == "L-H");
  CHECK(std::string(locked["evccId"].GetString()) == "00-1a-2b-3c-4d-5e");
  CHECK(csms.pile.held_by(1) == "L-H");
  // A vehicle that plugs in later is caught by its id tag.
  csms.pile.plug_in(2, vehicle("TAG-STOLEN", "", "WVWZZZ1JZXW000001"), true, csms.now);
  csms.exchange();
  REQUIRE(csms.sent_extension("VehicleLocked").size() == 2);
  locked = data_of(*csms.sent_extension("VehicleLocked")[1]);
  CHECK(std::string(locked["idTag"].GetString()) == "TAG-STOLEN");
  CHECK(csms.pile.held_by(2) == "L-H");
  CHECK(csms.sent("StartTransaction").size() == 1);  // only the one before the lock
  // Clear identifiers are still accepted by a hashed-matching pile.
  CHECK(csms.cs_status("DataTransfer", lock_request(kLockData)) == "Accepted");
  CHECK(csms.pile.watch_list().armed("L-1"));
}

TEST_CASE("pilesim: a pile without hashed matching rejects hashed LockVehicle data") {
  FakeCsms csms;
  csms.boot();
  const auto answer =
      FakeCsms::result_payload(csms.cs_call("DataTransfer", lock_request(hashed_lock_data("L-H"))));
  CHECK(json::string(answer, "status").value_or("") == "Rejected");
  CHECK_THAT(json::string(answer, "data").value_or(""), Catch::Contains("hashed matching"));
  CHECK(csms.pile.watch_list().empty());
  csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
  csms.exchange();
  CHECK(csms.sent_extension("VehicleLocked").empty());
}
