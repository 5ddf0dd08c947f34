// The lock extension in the pile simulator (SPEC §4): the watch list, its
// wire format, and a pile holding a locked vehicle.
#include <catch2/catch.hpp>

#include "simulators/pilesim/lock_extension.h"
#include "simulators/pilesim/lock_watch_list.h"
#include "test/unit/pilesim_fake_csms.h"

using namespace pilesim_test;

namespace {

LockEntry stolen_car() {
  return LockEntry{"L-1", "WVWZZZ1JZXW000001", {"TAG-STOLEN"}, {"EVCC-00AA11"}};
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

rapidjson::Document data_of(const SentCall& call) {
  rapidjson::Document doc;
  doc.Parse(call.str("data").c_str());
  return doc;
}

}  // namespace

TEST_CASE("pilesim lock watch list: arm, match by each identifier, disarm") {
  LockWatchList list;
  CHECK_FALSE(list.match(vehicle("TAG-STOLEN")).has_value());
  list.arm(stolen_car());
  CHECK(list.armed("L-1"));

  const auto by_tag = list.match(vehicle("tag-stolen"));
  REQUIRE(by_tag);
  CHECK(by_tag->lock_id == "L-1");
  CHECK(by_tag->kind == IdentifierKind::IdTag);
  CHECK(by_tag->value == "tag-stolen");

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
  list.arm(LockEntry{"L-1", "", {"TAG-NEW"}, {}});
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
