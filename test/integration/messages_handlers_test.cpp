// Every Charge-Point-initiated action's handler, end to end through core and
// PostgreSQL: requests valid against the official request schema produce
// responses valid against the official response schema, with the values a
// pile relies on.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "core/central_system.h"
#include "ocpp/messages/register_actions.h"
#include "ocpp/schemas/schema_registry.h"
#include "test/support/test_database.h"

using namespace chargelock;
using chargelock::test::TestDatabase;

namespace {

struct Harness {
  TestDatabase test;
  core::CentralSystem central{test.db(), [] {
                                core::CentralSystemConfig c;
                                c.heartbeat_interval_s = 240;
                                c.message_log = false;
                                return c;
                              }()};
  ocpp::ActionRegistry registry;

  Harness() {
    ocpp::register_charge_point_actions(registry, central);
    REQUIRE(central.charge_points().register_charge_point({"CP-1", std::nullopt, 1, {}, {}}));
  }

  // Runs `action` with `json` for CP-1; checks request and response schemas.
  rapidjson::Document call(const std::string& action, const std::string& json) {
    rapidjson::Document request;
    request.Parse(json.c_str());
    REQUIRE_FALSE(request.HasParseError());
    const auto& schemas = ocpp::SchemaRegistry::ocpp16();
    const auto bad_request = schemas.validate_request(action, request);
    INFO(action << " request: " << (bad_request ? bad_request->description : "ok"));
    REQUIRE_FALSE(bad_request);
    ocpp::ActionHandler* handler = registry.find(action);
    REQUIRE(handler != nullptr);
    rapidjson::Document response;
    handler->handle({"CP-1", "msg-1"}, request, response);
    REQUIRE(response.IsObject());
    const auto bad_response = schemas.validate_response(action, response);
    INFO(action << " response: " << (bad_response ? bad_response->description : "ok"));
    CHECK_FALSE(bad_response);
    return response;
  }
};

std::string text(const rapidjson::Value& object, const char* name) {
  REQUIRE(object.HasMember(name));
  REQUIRE(object[name].IsString());
  return object[name].GetString();
}

}  // namespace

TEST_CASE("every charge-point-initiated action has a handler") {
  Harness h;
  for (const char* action :
       {"BootNotification", "Heartbeat", "StatusNotification", "Authorize", "StartTransaction",
        "StopTransaction", "MeterValues", "DataTransfer", "DiagnosticsStatusNotification",
        "FirmwareStatusNotification", "SecurityEventNotification", "SignCertificate",
        "LogStatusNotification", "SignedFirmwareStatusNotification"}) {
    INFO(action);
    CHECK(h.registry.find(action) != nullptr);
  }
}

TEST_CASE("BootNotification and Heartbeat answer RFC 3339 UTC times") {
  Harness h;
  const auto boot = h.call("BootNotification",
                           R"({"chargePointVendor":"ACME","chargePointModel":"Volt",
                               "firmwareVersion":"1.0","iccid":"8949"})");
  CHECK(text(boot, "status") == "Accepted");
  CHECK(boot["interval"].GetInt() == 240);
  const std::string time = text(boot, "currentTime");
  CHECK(time.back() == 'Z');
  CHECK(core::parse_rfc3339(time));
  CHECK(h.central.charge_points().find("CP-1")->boot_info->iccid == "8949");

  const auto beat = h.call("Heartbeat", "{}");
  CHECK(text(beat, "currentTime").back() == 'Z');
}

TEST_CASE("Authorize, StartTransaction, MeterValues and StopTransaction") {
  Harness h;
  h.central.authorization().put_id_tag({"TAG-1", core::IdTagStatus::Accepted,
                                        core::Clock::now() + std::chrono::hours(48),
                                        std::string("PARENT")});

  const auto unknown = h.call("Authorize", R"({"idTag":"NOBODY"})");
  CHECK(text(unknown["idTagInfo"], "status") == "Invalid");
  const auto auth = h.call("Authorize", R"({"idTag":"TAG-1"})");
  CHECK(text(auth["idTagInfo"], "status") == "Accepted");
  CHECK(text(auth["idTagInfo"], "parentIdTag") == "PARENT");
  CHECK(text(auth["idTagInfo"], "expiryDate").back() == 'Z');

  const std::string start_json =
      R"({"connectorId":1,"idTag":"TAG-1","meterStart":100,"timestamp":"2024-05-01T12:00:00Z"})";
  const auto start = h.call("StartTransaction", start_json);
  const int id = start["transactionId"].GetInt();
  CHECK(id > 0);
  CHECK(text(start["idTagInfo"], "status") == "Accepted");
  CHECK(h.call("StartTransaction", start_json)["transactionId"].GetInt() == id);

  h.call("MeterValues", R"({"connectorId":1,"transactionId":)" + std::to_string(id) +
                            R"(,"meterValue":[{"timestamp":"2024-05-01T12:05:00Z",
                               "sampledValue":[{"value":"150","measurand":"Energy.Active.Import.Register",
                               "unit":"Wh","context":"Sample.Periodic","format":"Raw",
                               "location":"Outlet"},{"value":"231","measurand":"Voltage",
                               "phase":"L1-N","unit":"V"}]}]})");

  const auto stop = h.call(
      "StopTransaction", R"({"transactionId":)" + std::to_string(id) +
                             R"(,"idTag":"TAG-1","meterStop":900,"timestamp":"2024-05-01T13:00:00Z",
                               "reason":"Local","transactionData":[{"timestamp":"2024-05-01T13:00:00Z",
                               "sampledValue":[{"value":"900","context":"Transaction.End"}]}]})");
  CHECK(text(stop["idTagInfo"], "status") == "Accepted");
  const auto record = h.central.transactions().find(id);
  REQUIRE(record);
  CHECK(record->meter_stop == 900);
  const auto values = h.central.transactions().meter_values_of(id);
  REQUIRE(values.size() == 3);
  CHECK(values[1].sampled.phase == "L1-N");
  CHECK(values[2].sampled.context == "Transaction.End");

  // Without idTag, the response is empty.
  const auto bare =
      h.call("StopTransaction", R"({"transactionId":)" + std::to_string(id) +
                                    R"(,"meterStop":900,"timestamp":"2024-05-01T13:00:00Z"})");
  CHECK(bare.ObjectEmpty());
}

TEST_CASE("StatusNotification updates the connector") {
  Harness h;
  const auto r = h.call("StatusNotification",
                        R"({"connectorId":2,"errorCode":"NoError","status":"Preparing",
                            "timestamp":"2024-05-01T12:00:00Z"})");
  CHECK(r.ObjectEmpty());
  const auto connectors = h.central.charge_points().connectors("CP-1");
  REQUIRE(connectors.size() == 1);
  CHECK(connectors[0].connector_id == 2);
  CHECK(connectors[0].status == "Preparing");
}

TEST_CASE("DataTransfer for an unknown vendor is UnknownVendorId") {
  Harness h;
  const auto r = h.call("DataTransfer", R"({"vendorId":"com.acme","messageId":"x","data":"y"})");
  CHECK(text(r, "status") == "UnknownVendorId");
}

TEST_CASE("notification and security extension actions are answered and recorded") {
  Harness h;
  CHECK(h.call("DiagnosticsStatusNotification", R"({"status":"Uploaded"})").ObjectEmpty());
  CHECK(h.call("FirmwareStatusNotification", R"({"status":"Installed"})").ObjectEmpty());
  CHECK(h.call("SecurityEventNotification",
               R"({"type":"StartupOfTheDevice","timestamp":"2024-05-01T12:00:00Z"})")
            .ObjectEmpty());
  CHECK(h.call("LogStatusNotification", R"({"status":"Uploaded","requestId":4})").ObjectEmpty());
  CHECK(h.call("SignedFirmwareStatusNotification", R"({"status":"Downloaded","requestId":5})")
            .ObjectEmpty());
  const auto sign = h.call("SignCertificate", R"({"csr":"-----BEGIN CERTIFICATE REQUEST-----"})");
  CHECK(text(sign, "status") == "Accepted");

  auto& events = h.test.db().events();
  CHECK(events.statuses(core::StatusNotificationKind::Firmware, "CP-1", 5).at(0).status ==
        "Installed");
  CHECK(events.statuses(core::StatusNotificationKind::Log, "CP-1", 5).at(0).request_id == 4);
  CHECK(events.security_events("CP-1", 5).at(0).type == "StartupOfTheDevice");
  CHECK(events.csrs("CP-1", 5).size() == 1);
}
