// The embedded OCPP 1.6 schemas: all present and compiled, the direction of
// every action, valid messages pass, and each kind of violation maps to the
// CALLERROR code docs/ocpp-errors.md promises, naming the failing field.
#include "ocpp/schemas/schema_registry.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ocpp/schemas/action_catalog.h"
#include "ocpp/schemas/embedded_schemas.h"

using namespace chargelock::ocpp;

namespace {

rapidjson::Document json(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

const SchemaRegistry& registry() { return SchemaRegistry::ocpp16(); }

void request_ok(const std::string& action, const std::string& payload) {
  INFO(action << " " << payload);
  auto failure = registry().validate_request(action, json(payload));
  CHECK_FALSE(failure.has_value());
  if (failure) FAIL_CHECK(failure->description);
}

void response_ok(const std::string& action, const std::string& payload) {
  INFO(action << "Response " << payload);
  auto failure = registry().validate_response(action, json(payload));
  CHECK_FALSE(failure.has_value());
  if (failure) FAIL_CHECK(failure->description);
}

ValidationFailure request_fails(const std::string& action, const std::string& payload) {
  INFO(action << " " << payload);
  auto failure = registry().validate_request(action, json(payload));
  REQUIRE(failure.has_value());
  return *failure;
}

const std::vector<std::string> kSecurityActions = {"SecurityEventNotification",
                                                   "SignCertificate",
                                                   "CertificateSigned",
                                                   "InstallCertificate",
                                                   "DeleteCertificate",
                                                   "GetInstalledCertificateIds",
                                                   "ExtendedTriggerMessage",
                                                   "GetLog",
                                                   "LogStatusNotification",
                                                   "SignedUpdateFirmware",
                                                   "SignedFirmwareStatusNotification"};

}  // namespace

TEST_CASE("all 28 OCPP 1.6 actions and the 11 security extension actions are known") {
  const auto actions = registry().actions();
  CHECK(actions.size() == 39);
  for (const char* name : {"Authorize",
                           "BootNotification",
                           "CancelReservation",
                           "ChangeAvailability",
                           "ChangeConfiguration",
                           "ClearCache",
                           "ClearChargingProfile",
                           "DataTransfer",
                           "DiagnosticsStatusNotification",
                           "FirmwareStatusNotification",
                           "GetCompositeSchedule",
                           "GetConfiguration",
                           "GetDiagnostics",
                           "GetLocalListVersion",
                           "Heartbeat",
                           "MeterValues",
                           "RemoteStartTransaction",
                           "RemoteStopTransaction",
                           "ReserveNow",
                           "Reset",
                           "SendLocalList",
                           "SetChargingProfile",
                           "StartTransaction",
                           "StatusNotification",
                           "StopTransaction",
                           "TriggerMessage",
                           "UnlockConnector",
                           "UpdateFirmware"})
    CHECK(registry().knows(name));
  for (const auto& name : kSecurityActions) CHECK(registry().knows(name));
  CHECK_FALSE(registry().knows("LockVehicle"));
  CHECK_FALSE(registry().knows("heartbeat"));
}

TEST_CASE("every embedded schema file is the request or response of a known action") {
  std::set<std::string> names;
  for (auto* s = schemas::embedded_ocpp16_schemas_begin();
       s != schemas::embedded_ocpp16_schemas_end(); ++s) {
    names.insert(std::string(s->name));
    CHECK(s->json.size() > 50);
  }
  CHECK(names.size() == 78);
  for (const auto& action : registry().actions()) {
    CHECK(names.count(action) == 1);
    CHECK(names.count(action + "Response") == 1);
  }
}

TEST_CASE("every action's request and response schema is compiled and applied") {
  // An object with a field no OCPP message has is refused by every schema
  // (all set additionalProperties false): proof each one is really loaded.
  for (const auto& action : registry().actions()) {
    INFO(action);
    auto request = registry().validate_request(action, json(R"({"noSuchField":1})"));
    REQUIRE(request.has_value());
    CHECK(request->code != ErrorCode::NotImplemented);
    auto response = registry().validate_response(action, json(R"({"noSuchField":1})"));
    REQUIRE(response.has_value());
    CHECK(response->code != ErrorCode::NotImplemented);
  }
}

TEST_CASE("the registry knows who initiates each action") {
  CHECK(registry().initiator("BootNotification") == Initiator::ChargePoint);
  CHECK(registry().initiator("Reset") == Initiator::CentralSystem);
  CHECK(registry().initiator("DataTransfer") == Initiator::Both);
  CHECK(registry().initiator("SecurityEventNotification") == Initiator::ChargePoint);
  CHECK(registry().initiator("SignedFirmwareStatusNotification") == Initiator::ChargePoint);
  CHECK(registry().initiator("SignedUpdateFirmware") == Initiator::CentralSystem);
  CHECK(registry().initiator("CertificateSigned") == Initiator::CentralSystem);
  CHECK_FALSE(registry().initiator("Nope").has_value());

  CHECK(registry().charge_point_may_initiate("DataTransfer"));
  CHECK(registry().central_system_may_initiate("DataTransfer"));
  CHECK(registry().charge_point_may_initiate("SignCertificate"));
  CHECK_FALSE(registry().charge_point_may_initiate("RemoteStartTransaction"));
  CHECK_FALSE(registry().central_system_may_initiate("StartTransaction"));
  CHECK_FALSE(registry().charge_point_may_initiate("Nope"));

  int from_charge_point = 0, from_central_system = 0;
  for (const auto& info : ocpp16_actions()) {
    if (info.initiator != Initiator::CentralSystem) ++from_charge_point;
    if (info.initiator != Initiator::ChargePoint) ++from_central_system;
  }
  CHECK(from_charge_point == 10 + 4);    // 1.6 + security, DataTransfer included
  CHECK(from_central_system == 19 + 7);  // 1.6 + security, DataTransfer included
}

TEST_CASE("valid charge-point-initiated requests pass") {
  request_ok("BootNotification",
             R"({"chargePointVendor":"VendorX","chargePointModel":"M1","firmwareVersion":"1.0"})");
  request_ok("Heartbeat", "{}");
  request_ok("Authorize", R"({"idTag":"ABCDEFGHIJ0123456789"})");
  request_ok(
      "StartTransaction",
      R"({"connectorId":1,"idTag":"TAG1","meterStart":0,"timestamp":"2024-03-01T10:00:00Z"})");
  request_ok(
      "StatusNotification",
      R"({"connectorId":1,"errorCode":"NoError","status":"Charging","timestamp":"2024-03-01T10:00:00.123+01:00"})");
  request_ok(
      "MeterValues",
      R"({"connectorId":1,"transactionId":7,"meterValue":[{"timestamp":"2024-03-01T10:00:00Z","sampledValue":[{"value":"12.5","measurand":"Energy.Active.Import.Register","unit":"kWh"}]}]})");
  request_ok(
      "StopTransaction",
      R"({"transactionId":7,"meterStop":1200,"timestamp":"2024-03-01T11:00:00Z","reason":"Local"})");
  request_ok(
      "DataTransfer",
      R"({"vendorId":"org.chargelock","messageId":"VehicleLocked","data":"{\"lockId\":\"L1\",\"connectorId\":1}"})");
  request_ok("SecurityEventNotification",
             R"({"type":"FirmwareUpdated","timestamp":"2024-03-01T10:00:00Z"})");
  request_ok("SignedFirmwareStatusNotification", R"({"status":"Downloading","requestId":3})");
}

TEST_CASE("valid central-system-initiated requests and responses pass") {
  request_ok("Reset", R"({"type":"Hard"})");
  request_ok(
      "SetChargingProfile",
      R"({"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":16.3},{"startPeriod":60,"limit":0.3}]}}})");
  request_ok(
      "SignedUpdateFirmware",
      R"({"requestId":1,"firmware":{"location":"https://fw.example/x.bin","retrieveDateTime":"2024-03-01T10:00:00Z","signingCertificate":"-----BEGIN CERTIFICATE-----","signature":"c2ln"}})");
  request_ok(
      "GetLog",
      R"({"logType":"SecurityLog","requestId":2,"log":{"remoteLocation":"ftp://logs.example/"}})");
  response_ok("BootNotification",
              R"({"status":"Accepted","currentTime":"2024-03-01T10:00:00Z","interval":300})");
  response_ok("Heartbeat", R"({"currentTime":"2024-03-01T10:00:00Z"})");
  response_ok("Authorize", R"({"idTagInfo":{"status":"Blocked"}})");
  response_ok("Reset", R"({"status":"Accepted"})");
  response_ok("DataTransfer", R"({"status":"UnknownVendorId"})");
  response_ok(
      "GetInstalledCertificateIds",
      R"({"status":"Accepted","certificateHashData":[{"hashAlgorithm":"SHA256","issuerNameHash":"a","issuerKeyHash":"b","serialNumber":"1"}]})");
}

TEST_CASE("a missing required field is an OccurenceConstraintViolation naming the field") {
  auto failure = request_fails("BootNotification", R"({"chargePointModel":"M1"})");
  CHECK(failure.code == ErrorCode::OccurenceConstraintViolation);
  CHECK_THAT(failure.description, Catch::Contains("/chargePointVendor"));
  CHECK_THAT(failure.description, Catch::Contains("required"));
}

TEST_CASE("a missing required field in a nested object names the nested path") {
  auto failure = request_fails("Authorize", R"({})");
  CHECK(failure.code == ErrorCode::OccurenceConstraintViolation);
  CHECK_THAT(failure.description, Catch::Contains("/idTag"));
  auto nested = registry().validate_response("Authorize", json(R"({"idTagInfo":{}})"));
  REQUIRE(nested);
  CHECK(nested->code == ErrorCode::OccurenceConstraintViolation);
  CHECK_THAT(nested->description, Catch::Contains("/idTagInfo/status"));
}

TEST_CASE("too few array items is an OccurenceConstraintViolation") {
  auto failure = request_fails("MeterValues", R"({"connectorId":1,"meterValue":[]})");
  CHECK(failure.code == ErrorCode::OccurenceConstraintViolation);
  CHECK_THAT(failure.description, Catch::Contains("/meterValue"));
}

TEST_CASE("a wrong JSON type is a TypeConstraintViolation naming the field and type") {
  auto failure = request_fails(
      "StartTransaction",
      R"({"connectorId":"1","idTag":"T","meterStart":0,"timestamp":"2024-03-01T10:00:00Z"})");
  CHECK(failure.code == ErrorCode::TypeConstraintViolation);
  CHECK_THAT(failure.description, Catch::Contains("/connectorId"));
  CHECK_THAT(failure.description, Catch::Contains("integer"));
  // A fraction where an integer is required is a type error too.
  auto fraction = request_fails(
      "StartTransaction",
      R"({"connectorId":1.5,"idTag":"T","meterStart":0,"timestamp":"2024-03-01T10:00:00Z"})");
  CHECK(fraction.code == ErrorCode::TypeConstraintViolation);
  CHECK_THAT(fraction.description, Catch::Contains("/connectorId"));
}

TEST_CASE("a value outside an enum is a PropertyConstraintViolation") {
  auto failure = request_fails("StatusNotification",
                               R"({"connectorId":1,"errorCode":"NoError","status":"Broken"})");
  CHECK(failure.code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(failure.description, Catch::Contains("/status"));
  CHECK_THAT(failure.description, Catch::Contains("enum"));
}

TEST_CASE("an enum reached through $ref in a security schema is enforced") {
  auto failure = request_fails(
      "GetLog", R"({"logType":"KernelLog","requestId":2,"log":{"remoteLocation":"ftp://x/"}})");
  CHECK(failure.code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(failure.description, Catch::Contains("/logType"));
}

TEST_CASE("a string longer than maxLength is a PropertyConstraintViolation") {
  auto failure = request_fails("Authorize", R"({"idTag":"ABCDEFGHIJ01234567890"})");
  CHECK(failure.code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(failure.description, Catch::Contains("/idTag"));
  CHECK_THAT(failure.description, Catch::Contains("maxLength 20"));
}

TEST_CASE("a deeply nested violation names its full JSON pointer") {
  auto failure = request_fails(
      "MeterValues",
      R"({"connectorId":1,"meterValue":[{"timestamp":"2024-03-01T10:00:00Z","sampledValue":[{"value":"1"},{"value":"2","measurand":"Bogus"}]}]})");
  CHECK(failure.code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(failure.description, Catch::Contains("/meterValue/0/sampledValue/1/measurand"));
}

TEST_CASE("an unknown field is a FormationViolation naming the field") {
  auto failure = request_fails("Heartbeat", R"({"hello":1})");
  CHECK(failure.code == ErrorCode::FormationViolation);
  CHECK_THAT(failure.description, Catch::Contains("/hello"));
}

TEST_CASE("a malformed date-time is a PropertyConstraintViolation naming the field") {
  auto failure = registry().validate_response("Heartbeat", json(R"({"currentTime":"yesterday"})"));
  REQUIRE(failure);
  CHECK(failure->code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(failure->description, Catch::Contains("/currentTime"));
  CHECK_THAT(failure->description, Catch::Contains("date-time"));
}

TEST_CASE("date-times are checked inside arrays and $ref definitions") {
  auto in_array = request_fails(
      "MeterValues",
      R"({"connectorId":1,"meterValue":[{"timestamp":"2024-02-30T10:00:00Z","sampledValue":[{"value":"1"}]}]})");
  CHECK(in_array.code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(in_array.description, Catch::Contains("/meterValue/0/timestamp"));

  auto in_ref = request_fails(
      "GetLog",
      R"({"logType":"SecurityLog","requestId":2,"log":{"remoteLocation":"ftp://x/","oldestTimestamp":"2024-03-01 10:00:00"}})");
  CHECK(in_ref.code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(in_ref.description, Catch::Contains("/log/oldestTimestamp"));
}

TEST_CASE("multipleOf 0.1 accepts decimal limits and refuses finer ones") {
  const std::string prefix =
      R"({"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"W","chargingSchedulePeriod":[{"startPeriod":0,"limit":)";
  for (const char* limit : {"0.3", "7.3", "11000", "22.1", "0"})
    request_ok("SetChargingProfile", prefix + limit + "}]}}}");
  auto failure = request_fails("SetChargingProfile", prefix + "16.25}]}}}");
  CHECK(failure.code == ErrorCode::PropertyConstraintViolation);
  CHECK_THAT(
      failure.description,
      Catch::Contains("/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit"));
}

TEST_CASE("validating an unknown action fails with NotImplemented") {
  auto failure = registry().validate_request("LockVehicle", json("{}"));
  REQUIRE(failure);
  CHECK(failure->code == ErrorCode::NotImplemented);
}

TEST_CASE("concurrent validation from many threads gives the same answers") {
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &wrong] {
      rapidjson::Document good, bad;
      good.Parse(R"({"idTag":"TAG"})");
      bad.Parse(R"({"idTag":"ABCDEFGHIJ01234567890"})");
      for (int i = 0; i < 500; ++i) {
        if (SchemaRegistry::ocpp16().validate_request("Authorize", good)) ++wrong[t];
        auto failure = SchemaRegistry::ocpp16().validate_request("Authorize", bad);
        if (!failure || failure->code != ErrorCode::PropertyConstraintViolation) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : wrong) CHECK(count == 0);
}

TEST_CASE("a registry refuses a schema set with a missing or broken file") {
  const std::vector<ActionInfo> actions = {{"Heartbeat", Initiator::ChargePoint, "Core"}};
  CHECK_THROWS_WITH(SchemaRegistry(actions, {{"Heartbeat", R"({"type":"object"})"}}),
                    Catch::Contains("HeartbeatResponse"));
  CHECK_THROWS_WITH(SchemaRegistry(actions, {{"Heartbeat", "{"}, {"HeartbeatResponse", "{}"}}),
                    Catch::Contains("Heartbeat"));
  CHECK_THROWS_WITH(SchemaRegistry(actions, {{"Heartbeat", R"({"type":"object"})"},
                                             {"HeartbeatResponse", R"({"type":"object"})"},
                                             {"Stray", R"({"type":"object"})"}}),
                    Catch::Contains("Stray"));
  CHECK_NOTHROW(SchemaRegistry(actions, {{"Heartbeat", R"({"type":"object"})"},
                                         {"HeartbeatResponse", R"({"type":"object"})"}}));
}
