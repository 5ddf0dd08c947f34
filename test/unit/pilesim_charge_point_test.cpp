// The pile simulator's charge point state machine, driven without sockets.
#include <catch2/catch.hpp>

#include "test/unit/pilesim_fake_csms.h"

using namespace pilesim_test;

TEST_CASE("pilesim: a new connection starts with BootNotification and nothing else") {
  FakeCsms csms;
  csms.pile.power_on(csms.now);
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.answering = false;
  csms.exchange();
  REQUIRE(csms.calls.size() == 1);
  CHECK(csms.calls[0].action == "BootNotification");
  CHECK(csms.calls[0].str("chargePointVendor") == "ChargeLock");
  CHECK(csms.calls[0].str("chargePointModel") == "PileSim");
  // A vehicle plugging in before the boot is accepted sends nothing.
  csms.pile.plug_in(1, vehicle("TAG-1"), false, csms.now);
  csms.exchange();
  CHECK(csms.calls.size() == 1);
}

TEST_CASE("pilesim: Pending and Rejected boots are retried at the interval given") {
  FakeCsms csms;
  std::string status = "Pending";
  csms.answer["BootNotification"] = [&](const SentCall&) {
    return R"({"status":")" + status + R"(","currentTime":"2023-11-14T22:13:20Z","interval":20})";
  };
  csms.pile.power_on(csms.now);
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  CHECK(csms.pile.registration() == Registration::Pending);
  CHECK(csms.sent("BootNotification").size() == 1);
  csms.advance(19000);
  CHECK(csms.sent("BootNotification").size() == 1);
  status = "Rejected";
  csms.advance(1000);
  CHECK(csms.sent("BootNotification").size() == 2);
  CHECK(csms.pile.registration() == Registration::Rejected);
  CHECK(csms.sent("Heartbeat").empty());
  CHECK(csms.sent("StatusNotification").empty());
  status = "Accepted";
  csms.advance(20000);
  CHECK(csms.sent("BootNotification").size() == 3);
  CHECK(csms.pile.registration() == Registration::Accepted);
  // Accepted: every connector's status, starting with the pile itself.
  CHECK(csms.statuses(0) == std::vector<std::string>{"Available"});
  CHECK(csms.statuses(1) == std::vector<std::string>{"Available"});
}

TEST_CASE("pilesim: the central system's CALLs are answered while the boot is Pending") {
  FakeCsms csms;
  csms.answer["BootNotification"] = [](const SentCall&) {
    return std::string(
        R"({"status":"Pending","currentTime":"2023-11-14T22:13:20Z","interval":60})");
  };
  csms.pile.power_on(csms.now);
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  CHECK(csms.cs_status("ChangeConfiguration",
                       R"({"key":"MeterValueSampleInterval","value":"30"})") == "Accepted");
}

TEST_CASE("pilesim: heartbeats follow the interval of BootNotification.conf") {
  FakeCsms csms;
  csms.boot(45);
  CHECK(csms.pile.heartbeat_interval_s() == 45);
  csms.advance(44000);
  CHECK(csms.sent("Heartbeat").empty());
  csms.advance(1000);
  CHECK(csms.sent("Heartbeat").size() == 1);
  csms.advance(90000);
  CHECK(csms.sent("Heartbeat").size() == 3);

  SECTION("and ChangeConfiguration HeartbeatInterval reschedules them") {
    CHECK(csms.cs_status("ChangeConfiguration", R"({"key":"HeartbeatInterval","value":"10"})") ==
          "Accepted");
    csms.advance(30000);
    CHECK(csms.sent("Heartbeat").size() == 6);
  }
}

TEST_CASE("pilesim: a charging session goes Authorize, StartTransaction, MeterValues, Stop") {
  FakeCsms csms;
  csms.boot();
  Vehicle car = vehicle("TAG-1");
  car.soc_percent = 20;
  car.capacity_kwh = 50;
  car.max_power_kw = 11;
  REQUIRE(csms.pile.plug_in(1, car, true, csms.now).ok);
  csms.exchange();
  CHECK(csms.statuses(1) == std::vector<std::string>{"Available", "Preparing", "Charging"});
  REQUIRE(csms.sent("Authorize").size() == 1);
  CHECK(csms.sent("Authorize")[0]->str("idTag") == "TAG-1");
  REQUIRE(csms.sent("StartTransaction").size() == 1);
  const SentCall& start = *csms.sent("StartTransaction")[0];
  CHECK(start.num("connectorId") == 1);
  CHECK(start.str("idTag") == "TAG-1");
  CHECK(start.num("meterStart") == 0);
  CHECK(csms.pile.transaction_id(1) == 100);

  csms.advance(60000);  // MeterValueSampleInterval defaults to 60 s
  REQUIRE(csms.sent("MeterValues").size() == 1);
  const SentCall& meter = *csms.sent("MeterValues")[0];
  CHECK(meter.num("transactionId") == 100);
  const auto& samples = meter.payload["meterValue"][0]["sampledValue"];
  std::map<std::string, double> values;
  std::map<std::string, std::string> units;
  for (const auto& sample : samples.GetArray()) {
    values[sample["measurand"].GetString()] = std::stod(sample["value"].GetString());
    units[sample["measurand"].GetString()] = sample["unit"].GetString();
  }
  // 11 kW for one minute is about 183 Wh.
  CHECK(values["Energy.Active.Import.Register"] == Approx(183).margin(2));
  CHECK(units["Energy.Active.Import.Register"] == "Wh");
  CHECK(values["Power.Active.Import"] == Approx(11000).margin(1));
  CHECK(values["Voltage"] == Approx(230).margin(3));
  CHECK(values["Current.Import"] == Approx(11000.0 / 3 / 230).margin(0.5));
  CHECK(values["SoC"] == Approx(20).margin(1));
  CHECK(units["SoC"] == "Percent");

  csms.advance(60 * 60000);
  CHECK(csms.sent("MeterValues").size() == 61);
  CHECK(csms.pile.meter(1, csms.now).soc_percent > 40);

  REQUIRE(csms.pile.stop_charging(1, csms.now).ok);
  csms.exchange();
  REQUIRE(csms.sent("StopTransaction").size() == 1);
  const SentCall& stop = *csms.sent("StopTransaction")[0];
  CHECK(stop.num("transactionId") == 100);
  CHECK(stop.str("reason") == "Local");
  CHECK(stop.num("meterStop") == Approx(11000 * 61 / 60.0).margin(20));
  CHECK(csms.statuses(1).back() == "Finishing");
  REQUIRE(csms.pile.unplug(1, csms.now).ok);
  csms.exchange();
  CHECK(csms.statuses(1).back() == "Available");
  // No more meter values once the session is over.
  csms.advance(600000);
  CHECK(csms.sent("MeterValues").size() == 61);
}

TEST_CASE("pilesim: an id tag the central system refuses does not charge") {
  FakeCsms csms;
  csms.answer["Authorize"] = [](const SentCall&) {
    return std::string(R"({"idTagInfo":{"status":"Blocked"}})");
  };
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-STOLEN"), true, csms.now);
  csms.exchange();
  CHECK(csms.sent("StartTransaction").empty());
  CHECK_FALSE(csms.pile.charging(1));
  CHECK(csms.pile.status(1) == ConnectorStatus::Preparing);
  CHECK(csms.stats.authorizations_refused == 1);
}

TEST_CASE("pilesim: StartTransaction.conf with an invalid id tag ends the transaction") {
  FakeCsms csms;
  csms.answer["StartTransaction"] = [](const SentCall&) {
    return std::string(R"({"transactionId":7,"idTagInfo":{"status":"Invalid"}})");
  };
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);
  csms.exchange();
  REQUIRE(csms.sent("StopTransaction").size() == 1);
  CHECK(csms.sent("StopTransaction")[0]->str("reason") == "DeAuthorized");
  CHECK(csms.sent("StopTransaction")[0]->num("transactionId") == 7);
}

TEST_CASE("pilesim: transaction messages are queued offline and replayed in order") {
  FakeCsms csms;
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);
  csms.exchange();
  REQUIRE(csms.pile.transaction_id(1) == 100);
  csms.calls.clear();

  csms.pile.go_offline(10 * 60000, csms.now);
  REQUIRE(csms.pile.take_disconnect_request());
  csms.pile.on_disconnected(csms.now);
  CHECK(csms.pile.link() == LinkState::Down);
  csms.advance(3 * 60000);  // three meter samples while offline
  csms.pile.stop_charging(1, csms.now);
  csms.pile.unplug(1, csms.now);
  csms.exchange();
  CHECK(csms.calls.empty());
  CHECK(csms.pile.queued_calls() == 4);
  CHECK_FALSE(csms.pile.take_connect_request());

  csms.advance(7 * 60000);  // the offline period ends
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  CHECK(csms.actions() ==
        std::vector<std::string>{"BootNotification", "StatusNotification", "StatusNotification",
                                 "MeterValues", "MeterValues", "MeterValues", "StopTransaction"});
  CHECK(csms.statuses(1) == std::vector<std::string>{"Available"});
  std::vector<std::string> stamps;
  for (const auto* call : csms.sent("MeterValues")) {
    CHECK(call->num("transactionId") == 100);
    stamps.push_back(call->payload["meterValue"][0]["timestamp"].GetString());
  }
  CHECK(std::is_sorted(stamps.begin(), stamps.end()));
  CHECK(csms.sent("StopTransaction")[0]->num("transactionId") == 100);
  CHECK(csms.pile.queued_calls() == 0);
}

TEST_CASE("pilesim: a CALL lost with the connection is re-sent with the same message id") {
  FakeCsms csms;
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);
  csms.exchange();
  csms.answering = false;
  csms.pile.stop_charging(1, csms.now);
  csms.exchange();
  REQUIRE(csms.calls.back().action == "StopTransaction");
  const std::string first_id = csms.calls.back().message_id;
  csms.pile.on_disconnected(csms.now);
  csms.answering = true;
  csms.advance(2000);
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  REQUIRE(csms.sent("StopTransaction").size() == 2);
  CHECK(csms.sent("StopTransaction")[1]->message_id == first_id);
}

TEST_CASE("pilesim: a transaction started offline gets its id after the reconnect") {
  FakeCsms csms;
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);  // Authorize fills the cache
  csms.exchange();
  csms.pile.stop_charging(1, csms.now);
  csms.pile.unplug(1, csms.now);
  csms.exchange();
  csms.pile.go_offline(120000, csms.now);
  REQUIRE(csms.pile.take_disconnect_request());
  csms.pile.on_disconnected(csms.now);
  csms.calls.clear();

  REQUIRE(csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now).reason.empty());
  CHECK(csms.pile.charging(1));
  CHECK_FALSE(csms.pile.transaction_id(1).has_value());
  csms.advance(60000);
  // An id tag the pile has never seen accepted cannot start offline.
  FakeCsms fresh;
  fresh.pile.power_on(fresh.now);
  const auto refused = fresh.pile.plug_in(1, vehicle("TAG-NEW"), true, fresh.now);
  CHECK_THAT(refused.reason, Catch::Contains("not known locally"));
  CHECK_FALSE(fresh.pile.charging(1));

  csms.advance(60000);
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  REQUIRE(csms.sent("StartTransaction").size() == 1);
  CHECK(csms.pile.transaction_id(1) == 101);
  REQUIRE(csms.sent("MeterValues").size() == 2);
  CHECK(csms.sent("MeterValues")[0]->num("transactionId") == 101);
  CHECK(csms.sent("Authorize").empty());
}

TEST_CASE("pilesim: reconnects back off exponentially with jitter") {
  FakeCsms csms;
  csms.pile.power_on(csms.now);
  std::vector<std::int64_t> delays;
  for (int attempt = 0; attempt < 9; ++attempt) {
    REQUIRE(csms.pile.take_connect_request());
    csms.pile.on_disconnected(csms.now);  // connection refused
    const std::int64_t delay = csms.pile.next_wakeup() - csms.now;
    delays.push_back(delay);
    csms.now += delay;
    csms.pile.tick(csms.now);
  }
  // base 1 s doubling: attempt k waits between half and all of min(60 s, 2^k s).
  for (std::size_t k = 0; k < delays.size(); ++k) {
    const std::int64_t full = std::min<std::int64_t>(60000, 1000LL << k);
    INFO("attempt " << k);
    CHECK(delays[k] >= full / 2);
    CHECK(delays[k] <= full);
  }
  CHECK(csms.stats.connect_failures == 9);
  // An accepted boot resets the backoff.
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  csms.pile.on_disconnected(csms.now);
  CHECK(csms.pile.next_wakeup() - csms.now <= 1000);
}

TEST_CASE("pilesim: a CALL without an answer times out and the pile carries on") {
  FakeCsms csms;
  csms.boot(10);
  csms.answer["Heartbeat"] = [](const SentCall&) { return std::string(); };
  csms.advance(10000);
  CHECK(csms.sent("Heartbeat").size() == 1);
  csms.advance(30000);
  CHECK(csms.stats.call_timeouts == 1);
  CHECK(csms.sent("Heartbeat").size() >= 2);
}

TEST_CASE("pilesim: the configuration store has the standard keys") {
  FakeCsms csms(pile_config(2));
  csms.boot();
  auto all = FakeCsms::result_payload(csms.cs_call("GetConfiguration", "{}"));
  std::map<std::string, std::pair<std::string, bool>> keys;
  for (const auto& entry : all["configurationKey"].GetArray()) {
    keys[entry["key"].GetString()] = {entry["value"].GetString(), entry["readonly"].GetBool()};
  }
  for (const char* key :
       {"HeartbeatInterval", "MeterValueSampleInterval", "MeterValuesSampledData",
        "NumberOfConnectors", "AuthorizeRemoteTxRequests", "ConnectionTimeOut",
        "LocalAuthorizeOffline", "StopTransactionOnInvalidId", "TransactionMessageAttempts",
        "SupportedFeatureProfiles", "LocalAuthListEnabled", "ChargeProfileMaxStackLevel"}) {
    INFO(key);
    CHECK(keys.count(key) == 1);
  }
  CHECK(keys["NumberOfConnectors"] == std::make_pair(std::string("2"), true));
  CHECK(keys["HeartbeatInterval"] == std::make_pair(std::string("300"), false));

  auto some = FakeCsms::result_payload(
      csms.cs_call("GetConfiguration", R"({"key":["MeterValueSampleInterval","Bogus"]})"));
  CHECK(some["configurationKey"].Size() == 1);
  CHECK(std::string(some["unknownKey"][0].GetString()) == "Bogus");

  CHECK(csms.cs_status("ChangeConfiguration", R"({"key":"NumberOfConnectors","value":"4"})") ==
        "Rejected");
  CHECK(csms.cs_status("ChangeConfiguration", R"({"key":"Bogus","value":"1"})") == "NotSupported");
  CHECK(csms.cs_status("ChangeConfiguration", R"({"key":"HeartbeatInterval","value":"soon"})") ==
        "Rejected");
  CHECK(csms.cs_status(
            "ChangeConfiguration",
            R"({"key":"MeterValuesSampledData","value":"Energy.Active.Import.Register,Banana"})") ==
        "Rejected");
  CHECK(csms.cs_status("ChangeConfiguration", R"({"key":"LocalPreAuthorize","value":"TRUE"})") ==
        "Accepted");
  CHECK(csms.pile.configuration().get("LocalPreAuthorize")->value == "true");

  SECTION("MeterValueSampleInterval and MeterValuesSampledData shape the meter values") {
    CHECK(csms.cs_status("ChangeConfiguration",
                         R"({"key":"MeterValueSampleInterval","value":"15"})") == "Accepted");
    CHECK(csms.cs_status(
              "ChangeConfiguration",
              R"({"key":"MeterValuesSampledData","value":"Energy.Active.Import.Register"})") ==
          "Accepted");
    csms.pile.plug_in(2, vehicle("TAG-2"), true, csms.now);
    csms.exchange();
    csms.advance(60000);
    REQUIRE(csms.sent("MeterValues").size() == 4);
    CHECK(csms.sent("MeterValues")[0]->num("connectorId") == 2);
    CHECK(csms.sent("MeterValues")[0]->payload["meterValue"][0]["sampledValue"].Size() == 1);
  }
}

TEST_CASE("pilesim: every central-system CALL of OCPP 1.6 gets a schema-valid answer") {
  FakeCsms csms(pile_config(2));
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);
  csms.exchange();
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"CancelReservation", R"({"reservationId":5})"},
      {"ChangeAvailability", R"({"connectorId":2,"type":"Inoperative"})"},
      {"ChangeConfiguration", R"({"key":"HeartbeatInterval","value":"120"})"},
      {"ClearCache", "{}"},
      {"ClearChargingProfile", "{}"},
      {"DataTransfer", R"({"vendorId":"com.example","messageId":"x"})"},
      {"DataTransfer", R"({"vendorId":"org.chargelock","messageId":"Nope"})"},
      {"GetCompositeSchedule", R"({"connectorId":1,"duration":3600,"chargingRateUnit":"A"})"},
      {"GetConfiguration", "{}"},
      {"GetDiagnostics", R"({"location":"ftp://example.com/diag"})"},
      {"GetLocalListVersion", "{}"},
      {"RemoteStartTransaction", R"({"idTag":"TAG-9","connectorId":2})"},
      {"RemoteStopTransaction", R"({"transactionId":100})"},
      {"ReserveNow",
       R"({"connectorId":2,"expiryDate":"2030-01-01T00:00:00Z","idTag":"TAG-R","reservationId":5})"},
      {"Reset", R"({"type":"Soft"})"},
      {"SendLocalList",
       R"({"listVersion":3,"updateType":"Full","localAuthorizationList":[{"idTag":"TAG-L","idTagInfo":{"status":"Accepted"}}]})"},
      {"SetChargingProfile",
       R"({"connectorId":0,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"ChargePointMaxProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"W","chargingSchedulePeriod":[{"startPeriod":0,"limit":7000}]}}})"},
      {"TriggerMessage", R"({"requestedMessage":"StatusNotification","connectorId":1})"},
      {"UnlockConnector", R"({"connectorId":2})"},
      {"UpdateFirmware",
       R"({"location":"https://example.com/fw.bin","retrieveDate":"2020-01-01T00:00:00Z"})"},
  };
  const auto& registry = chargelock::ocpp::SchemaRegistry::ocpp16();
  for (const auto& [action, payload] : requests) {
    INFO(action << " " << payload);
    const auto answer = csms.cs_call(action, payload);
    auto result = FakeCsms::result_payload(answer);
    const auto failure = registry.validate_response(action, result);
    INFO(answer << " " << (failure ? failure->description : std::string()));
    CHECK_FALSE(failure.has_value());
  }
  // Every CS-initiated core action was covered above.
  for (const auto& info : chargelock::ocpp::ocpp16_actions()) {
    if (info.initiator == chargelock::ocpp::Initiator::ChargePoint ||
        info.feature_profile == "Security") {
      continue;
    }
    INFO(info.name);
    CHECK(std::any_of(requests.begin(), requests.end(),
                      [&](const auto& r) { return r.first == info.name; }));
  }
}

TEST_CASE("pilesim: unknown, misdirected and malformed CALLs get a CALLERROR") {
  FakeCsms csms;
  csms.boot();
  CHECK(csms.cs_call("Frobnicate", "{}").rfind("[4,", 0) == 0);
  CHECK(csms.cs_call("BootNotification", "{}").rfind("[4,", 0) == 0);
  CHECK(csms.cs_call("Reset", R"({"type":"Warm"})").rfind("[4,", 0) == 0);
  CHECK(csms.cs_call("InstallCertificate",
                     R"({"certificateType":"CentralSystemRootCertificate","certificate":"x"})")
            .rfind("[4,", 0) == 0);
  csms.pile.on_text("[2,\"x\"", csms.now);
  csms.exchange();
  CHECK(csms.replies.back().rfind("[4,", 0) == 0);
  // The connection stays usable.
  CHECK(csms.cs_status("ClearCache", "{}") == "Accepted");
}

TEST_CASE("pilesim: Reset stops transactions, reconnects and boots again") {
  FakeCsms csms;
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);
  csms.exchange();
  CHECK(csms.cs_status("Reset", R"({"type":"Hard"})") == "Accepted");
  csms.advance(500);
  REQUIRE(csms.pile.take_disconnect_request());
  csms.pile.on_disconnected(csms.now);
  CHECK_FALSE(csms.pile.charging(1));
  csms.advance(3000);
  REQUIRE(csms.pile.take_connect_request());
  csms.pile.on_connected(csms.now);
  csms.exchange();
  CHECK(csms.sent("BootNotification").size() == 2);
  REQUIRE(csms.sent("StopTransaction").size() == 1);
  CHECK(csms.sent("StopTransaction")[0]->str("reason") == "HardReset");
  CHECK(csms.pile.registration() == Registration::Accepted);
}

TEST_CASE("pilesim: TriggerMessage answers first, then sends what was asked") {
  FakeCsms csms;
  csms.boot();
  csms.calls.clear();
  CHECK(csms.cs_status("TriggerMessage", R"({"requestedMessage":"Heartbeat"})") == "Accepted");
  CHECK(csms.actions() == std::vector<std::string>{"Heartbeat"});
  CHECK(csms.cs_status("TriggerMessage", R"({"requestedMessage":"MeterValues","connectorId":1})") ==
        "Accepted");
  CHECK(csms.sent("MeterValues").size() == 1);
  CHECK(csms.cs_status("TriggerMessage", R"({"requestedMessage":"BootNotification"})") ==
        "Accepted");
  CHECK(csms.sent("BootNotification").size() == 1);
  CHECK(csms.cs_status("TriggerMessage",
                       R"({"requestedMessage":"StatusNotification","connectorId":5})") ==
        "Rejected");
}

TEST_CASE("pilesim: remote start and stop run a transaction") {
  FakeCsms csms;
  csms.boot();
  CHECK(csms.cs_status("RemoteStartTransaction", R"({"idTag":"APP-1"})") == "Accepted");
  REQUIRE(csms.pile.charging(1));
  CHECK(csms.sent("StartTransaction")[0]->str("idTag") == "APP-1");
  CHECK(csms.cs_status("RemoteStartTransaction", R"({"idTag":"APP-2","connectorId":1})") ==
        "Rejected");
  CHECK(csms.cs_status("RemoteStopTransaction", R"({"transactionId":999})") == "Rejected");
  CHECK(csms.cs_status("RemoteStopTransaction", R"({"transactionId":100})") == "Accepted");
  CHECK_FALSE(csms.pile.charging(1));
  CHECK(csms.sent("StopTransaction")[0]->str("reason") == "Remote");
}

TEST_CASE("pilesim: UnlockConnector ends a running transaction") {
  FakeCsms csms;
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);
  csms.exchange();
  CHECK(csms.cs_status("UnlockConnector", R"({"connectorId":1})") == "Unlocked");
  REQUIRE(csms.sent("StopTransaction").size() == 1);
  CHECK(csms.sent("StopTransaction")[0]->str("reason") == "UnlockCommand");
  CHECK(csms.cs_status("UnlockConnector", R"({"connectorId":3})") == "NotSupported");
}

TEST_CASE("pilesim: ChangeAvailability takes connectors out of service") {
  FakeCsms csms(pile_config(2));
  csms.boot();
  CHECK(csms.cs_status("ChangeAvailability", R"({"connectorId":2,"type":"Inoperative"})") ==
        "Accepted");
  CHECK(csms.statuses(2).back() == "Unavailable");
  CHECK_FALSE(csms.pile.plug_in(2, vehicle("TAG-1"), true, csms.now).ok);
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);
  csms.exchange();
  CHECK(csms.cs_status("ChangeAvailability", R"({"connectorId":1,"type":"Inoperative"})") ==
        "Scheduled");
  CHECK(csms.pile.charging(1));
  csms.pile.stop_charging(1, csms.now);
  csms.exchange();
  CHECK(csms.statuses(1).back() == "Unavailable");
  CHECK(csms.cs_status("ChangeAvailability", R"({"connectorId":0,"type":"Operative"})") ==
        "Accepted");
  CHECK(csms.statuses(2).back() == "Available");
}

TEST_CASE("pilesim: reservations hold a connector for one id tag") {
  FakeCsms csms;
  csms.boot();
  CHECK(
      csms.cs_status(
          "ReserveNow",
          R"({"connectorId":1,"expiryDate":"2023-11-14T23:13:20Z","idTag":"TAG-R","reservationId":9})") ==
      "Accepted");
  CHECK(csms.statuses(1).back() == "Reserved");
  CHECK_FALSE(csms.pile.plug_in(1, vehicle("TAG-OTHER"), true, csms.now).ok);
  REQUIRE(csms.pile.plug_in(1, vehicle("tag-r"), true, csms.now).ok);
  csms.exchange();
  REQUIRE(csms.sent("StartTransaction").size() == 1);
  CHECK(csms.sent("StartTransaction")[0]->num("reservationId") == 9);

  SECTION("and expire") {
    FakeCsms other;
    other.boot();
    other.cs_status(
        "ReserveNow",
        R"({"connectorId":1,"expiryDate":"2023-11-14T22:14:20Z","idTag":"T","reservationId":1})");
    other.advance(61000);
    CHECK(other.statuses(1).back() == "Available");
  }
}

TEST_CASE("pilesim: a charging profile limits the power") {
  FakeCsms csms;
  csms.boot();
  csms.pile.plug_in(1, vehicle("TAG-1"), true, csms.now);
  csms.exchange();
  CHECK(
      csms.cs_status(
          "SetChargingProfile",
          R"({"connectorId":1,"csChargingProfiles":{"chargingProfileId":4,"stackLevel":0,"chargingProfilePurpose":"TxProfile","chargingProfileKind":"Relative","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":6}]}}})") ==
      "Accepted");
  CHECK(csms.pile.meter(1, csms.now).power_w == Approx(6 * 230 * 3));
  CHECK(csms.cs_status("ClearChargingProfile", R"({"id":4})") == "Accepted");
  CHECK(csms.cs_status("ClearChargingProfile", R"({"id":4})") == "Unknown");
  CHECK(csms.pile.meter(1, csms.now).power_w == Approx(11000));
}
