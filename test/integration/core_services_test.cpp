// Core services against a real database: boot, authorization, transactions,
// meter values, data transfer, notifications and the message log writer.
#include <catch2/catch.hpp>

#include "core/central_system.h"
#include "core/stores/event_store.h"
#include "core/stores/message_log_store.h"
#include "storage/database.h"
#include "test/support/test_database.h"

using namespace chargelock::core;
using chargelock::test::TestDatabase;
using std::chrono::hours;

namespace {

CentralSystemConfig config(bool auto_register = false) {
  CentralSystemConfig c;
  c.heartbeat_interval_s = 120;
  c.boot_retry_interval_s = 30;
  c.auto_register = auto_register;
  c.node_id = "node-test";
  c.message_log = false;
  return c;
}

BootInfo boot_info() {
  BootInfo b;
  b.vendor = "ACME";
  b.model = "Volt";
  b.firmware_version = "1.0";
  return b;
}

const Timestamp kT0 = *parse_rfc3339("2024-05-01T12:00:00Z");

}  // namespace

TEST_CASE("boot is answered by registration state and stores the boot info") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  auto& cps = central.charge_points();
  REQUIRE(cps.register_charge_point(
      {"ACC", "pile-password-16", 1, std::nullopt, RegistrationStatus::Accepted}));
  REQUIRE(cps.register_charge_point(
      {"PEN", "pile-password-16", 1, std::nullopt, RegistrationStatus::Pending}));
  REQUIRE(cps.register_charge_point(
      {"REJ", "pile-password-16", 1, std::nullopt, RegistrationStatus::Rejected}));
  CHECK_FALSE(cps.register_charge_point(
      {"ACC", "pile-password-16", 1, std::nullopt, RegistrationStatus::Accepted}));
  CHECK_THROWS_AS(cps.register_charge_point({"BAD", "pile-password-16", 4, std::nullopt, {}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(cps.register_charge_point({"a/b", "pile-password-16", 1, std::nullopt, {}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(cps.register_charge_point({"GEO", "pile-password-16", 1, GeoLocation{95, 0}, {}}),
                  std::invalid_argument);
  // Pile passwords: at least 16 characters (OCPP security whitepaper).
  CHECK_THROWS_WITH(cps.register_charge_point({"SHORT", "fifteen-chars-x", 1, std::nullopt, {}}),
                    Catch::Contains("at least 16 characters"));
  CHECK_FALSE(cps.find("SHORT"));
  REQUIRE(cps.register_charge_point({"LONG", "sixteen-chars-xx", 1, std::nullopt, {}}));
  ChargePointUpdate short_update;
  short_update.password = "too-short";
  CHECK_THROWS_WITH(cps.update_charge_point("LONG", short_update),
                    Catch::Contains("at least 16 characters"));

  const auto before = Clock::now();
  const auto accepted = cps.boot("ACC", boot_info());
  CHECK(accepted.status == RegistrationStatus::Accepted);
  CHECK(accepted.interval_s == 120);
  CHECK(accepted.current_time >= before);
  const auto pending = cps.boot("PEN", boot_info());
  CHECK(pending.status == RegistrationStatus::Pending);
  CHECK(pending.interval_s == 30);
  CHECK(cps.boot("REJ", boot_info()).status == RegistrationStatus::Rejected);
  CHECK(cps.boot("UNKNOWN", boot_info()).status == RegistrationStatus::Rejected);
  CHECK_FALSE(cps.find("UNKNOWN"));

  const auto record = cps.find("ACC");
  REQUIRE(record->boot_info);
  CHECK(record->boot_info->vendor == "ACME");
  CHECK(record->boot_info->firmware_version == "1.0");
  // The stored password is a hash, not the password.
  REQUIRE(record->password_hash);
  CHECK(record->password_hash->rfind("pbkdf2-sha256$", 0) == 0);
}

TEST_CASE("auto-registration: an unknown pile becomes Pending, profile 1, on boot") {
  TestDatabase test;
  CentralSystem central(test.db(), config(/*auto_register=*/true));
  const auto result = central.charge_points().boot("NEWBIE", boot_info());
  CHECK(result.status == RegistrationStatus::Pending);
  const auto record = central.charge_points().find("NEWBIE");
  REQUIRE(record);
  CHECK(record->security_profile == 1);
  CHECK(record->registration_status == RegistrationStatus::Pending);
  CHECK(record->online);
  CHECK(central.directory().find("NEWBIE"));
}

TEST_CASE("heartbeat, status notification and connection state") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  auto& cps = central.charge_points();
  REQUIRE(cps.register_charge_point({"CP", std::nullopt, 1, std::nullopt, {}}));
  cps.connected("CP");
  CHECK(cps.find("CP")->online);
  CHECK(cps.find("CP")->connected_node == "node-test");
  const auto now = cps.heartbeat("CP");
  CHECK(now >= *cps.find("CP")->last_seen);
  // What a node hands over once a second: the time of the pile's last frame.
  const auto later = std::chrono::floor<std::chrono::microseconds>(now + std::chrono::seconds(2));
  cps.seen({{"CP", later}});
  CHECK(cps.find("CP")->last_seen == later);

  ConnectorStatus status;
  status.charge_point_id = "CP";
  status.connector_id = 1;
  status.status = "Charging";
  status.error_code = "NoError";
  CHECK(cps.status_notification(status));
  const auto connectors = cps.connectors("CP");
  REQUIRE(connectors.size() == 1);
  CHECK(connectors[0].status == "Charging");
  status.charge_point_id = "GHOST";
  CHECK_FALSE(cps.status_notification(status));

  cps.disconnected("CP");
  CHECK_FALSE(cps.find("CP")->online);
}

TEST_CASE("authorize: Accepted, Blocked, Expired, Invalid, ConcurrentTx, parent") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  auto& auth = central.authorization();
  REQUIRE(central.charge_points().register_charge_point({"CP-A", std::nullopt, 1, {}, {}}));
  REQUIRE(central.charge_points().register_charge_point({"CP-B", std::nullopt, 1, {}, {}}));
  const auto future = Clock::now() + hours(24);
  auth.put_id_tag({"GOOD", IdTagStatus::Accepted, future, std::string("FLEET")});
  auth.put_id_tag({"BLOCKED", IdTagStatus::Blocked, std::nullopt, std::nullopt});
  auth.put_id_tag({"OLD", IdTagStatus::Accepted, Clock::now() - hours(1), std::nullopt});
  auth.put_id_tag({"MARKED", IdTagStatus::Expired, std::nullopt, std::nullopt});
  auth.put_id_tag({"BUSY", IdTagStatus::Accepted, std::nullopt, std::nullopt});
  CHECK_THROWS_AS(auth.put_id_tag({"THIS-TAG-IS-TOO-LONG-", IdTagStatus::Accepted, {}, {}}),
                  std::invalid_argument);

  const AuthorizationContext at_a{"CP-A", std::nullopt, std::nullopt, true};
  const auto good = auth.authorize(at_a, "GOOD");
  CHECK(good.status == AuthorizationStatus::Accepted);
  CHECK(good.parent_id_tag == "FLEET");
  REQUIRE(good.expiry_date);
  CHECK(std::chrono::abs(*good.expiry_date - future) < std::chrono::milliseconds(1));
  CHECK(auth.authorize(at_a, "BLOCKED").status == AuthorizationStatus::Blocked);
  CHECK(auth.authorize(at_a, "OLD").status == AuthorizationStatus::Expired);
  CHECK(auth.authorize(at_a, "MARKED").status == AuthorizationStatus::Expired);
  CHECK(auth.authorize(at_a, "NOBODY").status == AuthorizationStatus::Invalid);

  // BUSY charges at CP-B: elsewhere it is ConcurrentTx, at CP-B (to stop) Accepted.
  const auto started = central.transactions().start("CP-B", {1, "BUSY", 0, kT0, std::nullopt});
  CHECK(started.id_tag_info.status == AuthorizationStatus::Accepted);
  CHECK(auth.authorize(at_a, "BUSY").status == AuthorizationStatus::ConcurrentTx);
  CHECK(auth.authorize({"CP-B", std::nullopt, std::nullopt, true}, "BUSY").status ==
        AuthorizationStatus::Accepted);
  // A second start with the same tag at another pile is recorded but ConcurrentTx.
  const auto second = central.transactions().start("CP-A", {1, "BUSY", 0, kT0, std::nullopt});
  CHECK(second.transaction_id != started.transaction_id);
  CHECK(second.id_tag_info.status == AuthorizationStatus::ConcurrentTx);
}

TEST_CASE("authorization policy extension point overrides the id tag rules") {
  struct LockPolicy : AuthorizationPolicy {
    std::optional<AuthorizationStatus> check(const AuthorizationContext&,
                                             const std::string& id_tag) override {
      if (id_tag == "STOLEN") return AuthorizationStatus::Blocked;
      return std::nullopt;
    }
  } policy;
  TestDatabase test;
  CentralSystem central(test.db(), config());
  central.authorization().set_policy(&policy);
  central.authorization().put_id_tag({"STOLEN", IdTagStatus::Accepted, {}, {}});
  central.authorization().put_id_tag({"FINE", IdTagStatus::Accepted, {}, {}});
  const AuthorizationContext ctx{"CP", std::nullopt, std::nullopt, true};
  CHECK(central.authorization().authorize(ctx, "STOLEN").status == AuthorizationStatus::Blocked);
  CHECK(central.authorization().authorize(ctx, "FINE").status == AuthorizationStatus::Accepted);
}

TEST_CASE("StartTransaction twice yields one transaction, stop keeps transactionData") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  REQUIRE(central.charge_points().register_charge_point({"CP", std::nullopt, 1, {}, {}}));
  central.authorization().put_id_tag({"TAG", IdTagStatus::Accepted, {}, {}});
  auto& tx = central.transactions();

  const StartTransactionRequest start{1, "TAG", 1000, kT0, std::nullopt};
  const auto first = tx.start("CP", start);
  const auto repeat = tx.start("CP", start);
  CHECK(repeat.transaction_id == first.transaction_id);
  CHECK(repeat.id_tag_info.status ==
        AuthorizationStatus::Accepted);  // not ConcurrentTx with itself
  CHECK(test.scalar("SELECT count(*) FROM transactions") == "1");

  StopTransactionRequest stop;
  stop.transaction_id = first.transaction_id;
  stop.id_tag = "TAG";
  stop.meter_stop = 4500;
  stop.timestamp = kT0 + hours(1);
  stop.reason = "EVDisconnected";
  stop.transaction_data = {
      {kT0, {{"1000", std::string("Transaction.Begin"), {}, {}, {}, {}, std::string("Wh")}}},
      {kT0 + hours(1),
       {{"4500", std::string("Transaction.End"), {}, {}, {}, {}, std::string("Wh")}}}};
  const auto info = tx.stop("CP", stop);
  REQUIRE(info);
  CHECK(info->status == AuthorizationStatus::Accepted);

  const auto record = tx.find(first.transaction_id);
  REQUIRE(record);
  CHECK(record->meter_stop == 4500);
  CHECK(record->stop_timestamp == kT0 + hours(1));
  CHECK(record->stop_reason == "EVDisconnected");
  const auto values = tx.meter_values_of(first.transaction_id);
  REQUIRE(values.size() == 2);
  CHECK(values[0].sampled.value == "1000");
  CHECK(values[0].sampled.context == "Transaction.Begin");
  CHECK(values[0].connector_id == 1);
  CHECK(values[1].sampled.value == "4500");

  // A stop from another pile for this transaction changes nothing.
  REQUIRE(central.charge_points().register_charge_point({"OTHER", std::nullopt, 1, {}, {}}));
  StopTransactionRequest foreign = stop;
  foreign.meter_stop = 1;
  foreign.transaction_data.clear();
  tx.stop("OTHER", foreign);
  CHECK(tx.find(first.transaction_id)->meter_stop == 4500);
}

TEST_CASE("MeterValues persist every sampled value with all fields") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  REQUIRE(central.charge_points().register_charge_point({"CP", std::nullopt, 1, {}, {}}));
  const auto t = central.transactions().start("CP", {2, "TAG", 0, kT0, std::nullopt});
  MeterValuesRequest request;
  request.connector_id = 2;
  request.transaction_id = t.transaction_id;
  request.meter_values = {
      {kT0 + hours(1),
       {{"230.1", std::string("Sample.Periodic"), std::string("Raw"), std::string("Voltage"),
         std::string("L1"), std::string("Outlet"), std::string("V")},
        {"16.0", {}, {}, std::string("Current.Import"), std::string("L1"), {}, std::string("A")}}}};
  central.transactions().meter_values("CP", request);
  const auto values = central.transactions().meter_values_of(t.transaction_id);
  REQUIRE(values.size() == 2);
  CHECK(values[0].timestamp == kT0 + hours(1));
  CHECK(values[0].sampled.value == "230.1");
  CHECK(values[0].sampled.context == "Sample.Periodic");
  CHECK(values[0].sampled.format == "Raw");
  CHECK(values[0].sampled.measurand == "Voltage");
  CHECK(values[0].sampled.phase == "L1");
  CHECK(values[0].sampled.location == "Outlet");
  CHECK(values[0].sampled.unit == "V");
  CHECK(values[1].sampled.measurand == "Current.Import");
  CHECK(values[1].sampled.unit == "A");
  CHECK_FALSE(values[1].sampled.context);
}

TEST_CASE("id tags with control characters are refused") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  IdTag tag;
  tag.id_tag = "TAG\r\nX-Evil: 1";
  CHECK_THROWS_AS(central.authorization().put_id_tag(tag), std::invalid_argument);
  tag.id_tag = "TAG-OK";
  tag.parent_id_tag = std::string("P\x01");
  CHECK_THROWS_AS(central.authorization().put_id_tag(tag), std::invalid_argument);
  tag.parent_id_tag = std::string("PARENT 1");
  CHECK_NOTHROW(central.authorization().put_id_tag(tag));
}

TEST_CASE("MeterValues naming another pile's transaction do not join it") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  REQUIRE(central.charge_points().register_charge_point({"CP", std::nullopt, 1, {}, {}}));
  REQUIRE(central.charge_points().register_charge_point({"INTRUDER", std::nullopt, 1, {}, {}}));
  const auto t = central.transactions().start("CP", {1, "TAG", 0, kT0, std::nullopt});
  MeterValuesRequest request;
  request.connector_id = 1;
  request.transaction_id = t.transaction_id;
  request.meter_values = {{kT0 + hours(1), {{"999999", {}, {}, {}, {}, {}, {}}}}};
  central.transactions().meter_values("INTRUDER", request);
  CHECK(central.transactions().meter_values_of(t.transaction_id).empty());
  // Kept, but as the intruder's values without a transaction.
  CHECK(test.scalar("SELECT count(*) FROM meter_values WHERE charge_point_id = 'INTRUDER' AND "
                    "transaction_id IS NULL") == "1");
  central.transactions().meter_values("CP", request);
  CHECK(central.transactions().meter_values_of(t.transaction_id).size() == 1);
}

TEST_CASE("DataTransfer: unknown vendor answered UnknownVendorId, extensions get theirs") {
  struct Echo : VendorExtension {
    DataTransferResult handle(WriteBatch&, const std::string&,
                              const DataTransferRequest& r) override {
      return {DataTransferStatus::Accepted, r.data};
    }
  } echo;
  TestDatabase test;
  CentralSystem central(test.db(), config());
  central.data_transfers().add_vendor("org.chargelock", echo);
  const auto unknown = central.data_transfers().receive("CP", {"com.acme", std::string("X"), {}});
  CHECK(unknown.status == DataTransferStatus::UnknownVendorId);
  const auto ours = central.data_transfers().receive(
      "CP", {"org.chargelock", std::string("VehicleLocked"), std::string("{\"lockId\":\"L1\"}")});
  CHECK(ours.status == DataTransferStatus::Accepted);
  CHECK(ours.data == "{\"lockId\":\"L1\"}");
  const auto recorded = test.db().events().data_transfers("CP", 10);
  REQUIRE(recorded.size() == 2);
  CHECK(recorded[0].answer_status == "Accepted");
  CHECK(recorded[1].answer_status == "UnknownVendorId");
}

// One commit before the answer: what the extension writes and the record of
// the DataTransfer share a transaction (a VehicleLocked's answer no longer
// waits for a second commit), and a failed attempt leaves nothing behind.
TEST_CASE("DataTransfer: the extension's writes and the record share one transaction") {
  struct FailsOnce : VendorExtension {
    int calls = 0;
    bool first_grouped = false;
    DataTransferResult handle(WriteBatch& batch, const std::string& cp,
                              const DataTransferRequest&) override {
      if (++calls == 1) {
        first_grouped = batch.grouped();
        SecurityEventRecord event;
        event.charge_point_id = cp;
        event.type = "FirstAttempt";
        event.timestamp = kT0;
        batch.store(&Stores::events, *events).record_security_event(event);
        throw DatabaseError("deadlock detected");
      }
      return {DataTransferStatus::Accepted, std::nullopt};
    }
    EventStore* events = nullptr;
  } extension;
  TestDatabase test;
  CentralSystem central(test.db(), config());
  extension.events = &test.db().events();
  central.data_transfers().add_vendor("org.chargelock", extension);
  const auto result = central.data_transfers().receive(
      "CP", {"org.chargelock", std::string("VehicleLocked"), std::string("{}")});
  CHECK(result.status == DataTransferStatus::Accepted);
  CHECK(extension.calls == 2);
  CHECK(extension.first_grouped);
  // The first attempt's write was rolled back with it; one record, of the answer given.
  CHECK(test.db().events().security_events("CP", 10).empty());
  const auto recorded = test.db().events().data_transfers("CP", 10);
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].answer_status == "Accepted");
}

TEST_CASE("notifications, security events and CSRs are recorded") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  auto& events = central.events();
  events.status_notification(StatusNotificationKind::Diagnostics, "CP", "Uploaded");
  events.status_notification(StatusNotificationKind::SignedFirmware, "CP", "Downloaded", 3);
  events.security_event("CP", {"TamperDetectionActivated", kT0, std::nullopt});
  CHECK(events.sign_certificate("CP", "-----BEGIN CERTIFICATE REQUEST-----") ==
        SignCertificateStatus::Accepted);
  auto& store = test.db().events();
  CHECK(store.statuses(StatusNotificationKind::Diagnostics, "CP", 5).at(0).status == "Uploaded");
  CHECK(store.statuses(StatusNotificationKind::SignedFirmware, "CP", 5).at(0).request_id == 3);
  CHECK(store.security_events("CP", 5).at(0).type == "TamperDetectionActivated");
  CHECK(store.csrs("CP", 5).size() == 1);
}

TEST_CASE("message log writer stores every frame in order") {
  TestDatabase test;
  MessageLogWriter writer(test.db().message_log());
  for (int i = 0; i < 1200; ++i)
    writer.record("CP", i % 2 ? FrameDirection::Outgoing : FrameDirection::Incoming,
                  "frame-" + std::to_string(i));
  writer.flush();
  CHECK(writer.written() == 1200);
  CHECK(writer.dropped() == 0);
  const auto page = test.db().message_log().page("CP", std::nullopt, 2);
  REQUIRE(page.size() == 2);
  CHECK(page[0].frame == "frame-1199");
  CHECK(page[0].direction == chargelock::core::FrameDirection::Outgoing);
  CHECK(page[1].frame == "frame-1198");
  CHECK(test.scalar("SELECT count(*) FROM message_log WHERE charge_point_id = 'CP'") == "1200");
}
