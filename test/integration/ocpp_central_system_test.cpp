// The central system end to end: the real chargelock program on a real
// PostgreSQL, real websocket piles over ws:// and wss:// with each security
// profile.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/central_system.h"
#include "test/support/eventually.h"
#include "test/support/ocpp_test_pile.h"
#include "test/support/server_process.h"
#include "test/support/test_certificates.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

// A database with a few registered piles and an id tag, and a running
// chargelock serving ws:// and wss:// on ephemeral ports.
struct CentralSystemFixture {
  TestDatabase database;
  TestCertificates certificates;
  std::unique_ptr<ServerProcess> server;
  std::vector<std::string> extra_flags;

  CentralSystemFixture() {
    add_charge_point({"CP-1", "--password", "secret-password-1", "--lat", "48.1", "--lon", "11.5"});
    add_charge_point({"CP-2", "--password", "secret-password-2", "--profile", "2"});
    add_charge_point({"CP-3", "--profile", "3"});
    add_charge_point({"CP-PENDING", "--password", "pending-password-16", "--pending"});
    core::CentralSystemConfig config;
    config.message_log = false;
    core::CentralSystem central(database.db(), config);
    core::IdTag tag;
    tag.id_tag = "TAG-OK";
    central.authorization().put_id_tag(tag);
    tag.id_tag = "TAG-BLOCKED";
    tag.status = core::IdTagStatus::Blocked;
    central.authorization().put_id_tag(tag);
  }

  std::map<std::string, std::string> env() const {
    return {{"CHARGELOCK_DATABASE_URL", database.url()}};
  }

  void add_charge_point(std::vector<std::string> args) {
    args.insert(args.begin(), {"chargepoint", "add"});
    auto [code, output] = ServerProcess::run(args, env());
    INFO(output);
    REQUIRE(code == 0);
  }

  void start() {
    std::vector<std::string> args = {"serve",
                                     "--ocpp-listen",
                                     "127.0.0.1:0",
                                     "--ocpp-tls-listen",
                                     "127.0.0.1:0",
                                     "--api-listen",
                                     "127.0.0.1:0",
                                     "--tls-cert",
                                     certificates.server().cert,
                                     "--tls-key",
                                     certificates.server().key,
                                     "--tls-ca",
                                     certificates.ca_file()};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    server = std::make_unique<ServerProcess>(args, env(),
                                             std::vector<std::string>{"ocpp ws", "ocpp wss"});
  }

  std::string ws_url() const { return fmt::format("ws://127.0.0.1:{}", server->port("ocpp ws")); }
  std::string wss_url() const {
    return fmt::format("wss://127.0.0.1:{}", server->port("ocpp wss"));
  }

  WsClientOptions basic(const std::string& user, const std::string& password) const {
    WsClientOptions options;
    options.basic_user = user;
    options.basic_password = password;
    options.ca_file = certificates.ca_file();
    return options;
  }

  std::string scalar(const std::string& sql) { return database.scalar(sql); }

  // The message log is written in batches by a background thread.
  void wait_for_log(const std::string& id, int frames) {
    INFO("waiting for " << frames << " frames of " << id << " in the message log");
    REQUIRE(eventually([&] {
      return std::stoi(scalar(fmt::format(
                 "SELECT count(*) FROM message_log WHERE charge_point_id = '{}'", id))) >= frames;
    }));
  }
};

std::string boot_payload() {
  return R"({"chargePointVendor":"ChargeLock","chargePointModel":"Test","firmwareVersion":"1.2.3"})";
}

std::string error_code(const rapidjson::Document& frame) {
  REQUIRE(frame[0].GetInt() == 4);
  return frame[2].GetString();
}

}  // namespace

TEST_CASE_METHOD(CentralSystemFixture, "a full charging session over ws is answered and stored") {
  start();
  OcppTestPile pile("CP-1");
  REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);

  auto boot = pile.call_ok("BootNotification", boot_payload());
  CHECK(std::string(boot["status"].GetString()) == "Accepted");
  CHECK(boot["interval"].GetInt() == 300);
  pile.call_ok("Heartbeat", "{}");
  pile.call_ok("StatusNotification",
               R"({"connectorId":1,"errorCode":"NoError","status":"Preparing"})");
  auto auth = pile.call_ok("Authorize", R"({"idTag":"TAG-OK"})");
  CHECK(std::string(auth["idTagInfo"]["status"].GetString()) == "Accepted");
  CHECK(std::string(pile.call_ok("Authorize", R"({"idTag":"TAG-BLOCKED"})")["idTagInfo"]["status"]
                        .GetString()) == "Blocked");
  CHECK(std::string(pile.call_ok("Authorize", R"({"idTag":"NOBODY"})")["idTagInfo"]["status"]
                        .GetString()) == "Invalid");

  const std::string start_time = now_rfc3339();
  const std::string start_payload = fmt::format(
      R"({{"connectorId":1,"idTag":"TAG-OK","meterStart":1000,"timestamp":"{}"}})", start_time);
  auto start = pile.call_ok("StartTransaction", start_payload);
  const int transaction = start["transactionId"].GetInt();
  CHECK(transaction > 0);
  // The same start sent again (a pile retrying after a lost answer) is the
  // same transaction.
  CHECK(pile.call_ok("StartTransaction", start_payload)["transactionId"].GetInt() == transaction);

  pile.call_ok("StatusNotification",
               R"({"connectorId":1,"errorCode":"NoError","status":"Charging"})");
  pile.call_ok("MeterValues", fmt::format(R"({{"connectorId":1,"transactionId":{},"meterValue":[
      {{"timestamp":"{}","sampledValue":[
        {{"value":"1500","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic"}},
        {{"value":"7200","measurand":"Power.Active.Import","unit":"W"}},
        {{"value":"31.2","measurand":"Current.Import","phase":"L1","unit":"A"}}]}}]}})",
                                          transaction, now_rfc3339()));
  auto stop = pile.call_ok(
      "StopTransaction",
      fmt::format(R"({{"transactionId":{},"idTag":"TAG-OK","meterStop":2500,"timestamp":"{}",
          "reason":"Local","transactionData":[{{"timestamp":"{}","sampledValue":[{{"value":"2500"}}]}}]}})",
                  transaction, now_rfc3339(), now_rfc3339()));
  CHECK(std::string(stop["idTagInfo"]["status"].GetString()) == "Accepted");
  pile.call_ok("StatusNotification",
               R"({"connectorId":1,"errorCode":"NoError","status":"Available"})");

  CHECK(scalar("SELECT count(*) FROM transactions") == "1");
  CHECK(scalar(fmt::format("SELECT meter_stop FROM transactions WHERE id = {}", transaction)) ==
        "2500");
  CHECK(scalar(fmt::format("SELECT stop_reason FROM transactions WHERE id = {}", transaction)) ==
        "Local");
  CHECK(scalar(fmt::format("SELECT count(*) FROM meter_values WHERE transaction_id = {}",
                           transaction)) == "4");
  CHECK(scalar("SELECT phase FROM meter_values WHERE measurand = 'Current.Import'") == "L1");
  CHECK(
      scalar("SELECT status FROM connectors WHERE charge_point_id = 'CP-1' AND connector_id = 1") ==
      "Available");
  CHECK(scalar("SELECT count(*) FROM connector_status_history WHERE charge_point_id = 'CP-1'") ==
        "3");
  CHECK(scalar("SELECT firmware_version FROM charge_points WHERE id = 'CP-1'") == "1.2.3");
  CHECK(scalar("SELECT online FROM charge_points WHERE id = 'CP-1'") == "t");

  // 12 CALLs, each answered: 24 frames in the log, in and out.
  wait_for_log("CP-1", 24);
  CHECK(scalar("SELECT count(*) FROM message_log WHERE charge_point_id = 'CP-1' AND "
               "direction = 'in'") == "12");
  CHECK(scalar("SELECT count(*) FROM message_log WHERE charge_point_id = 'CP-1' AND "
               "direction = 'out'") == "12");
}

TEST_CASE_METHOD(CentralSystemFixture,
                 "a pile's last seen follows its frames, a second late at most") {
  start();
  OcppTestPile pile("CP-1");
  REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
  pile.call_ok("BootNotification", boot_payload());
  const auto seen = [&] {
    return std::stoll(
        scalar("SELECT ts_to_micros(last_seen) FROM charge_points WHERE id = 'CP-1'"));
  };
  const long long at_boot = seen();
  const auto now_us = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  // The frame must come over a second after the boot (what is checked is
  // that last seen moves that far): wait for the clock to get there.
  REQUIRE(eventually([&] { return now_us() > at_boot + 1100000; }, 5s));
  const long long sent_at = now_us();
  pile.call_ok("Heartbeat", "{}");  // writes nothing itself: the node records the frame
  eventually([&] { return seen() >= sent_at; }, 5s);
  CHECK(seen() >= sent_at);
  CHECK(seen() > at_boot + 1000000);
}

TEST_CASE_METHOD(CentralSystemFixture, "each security profile connects only its own way") {
  start();
  SECTION("profile 1: Basic auth on ws://") {
    // A wrong password is found out off the loop: upgraded, nothing
    // served (its BootNotification gets no answer), closed with 1008.
    OcppTestPile wrong("CP-1");
    auto refused = wrong.connect(ws_url(), basic("CP-1", "wrong"));
    REQUIRE(refused.connected);
    wrong.client().send_text(R"([2,"early","BootNotification",)"
                             R"({"chargePointVendor":"X","chargePointModel":"Y"}])");
    CHECK(wrong.refused_after_upgrade(refused));
    CHECK_FALSE(wrong.client().receive(std::chrono::milliseconds(100)).has_value());
    OcppTestPile none("CP-1");
    auto anonymous = none.connect(ws_url());
    CHECK(anonymous.http_status == 401);
    CHECK(anonymous.www_authenticate.find("Basic") != std::string::npos);
    OcppTestPile right("CP-1");
    REQUIRE(right.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
    CHECK(std::string(right.call_ok("BootNotification", boot_payload())["status"].GetString()) ==
          "Accepted");
    // A profile-1 pile does not belong on the TLS listener.
    OcppTestPile tls("CP-1");
    CHECK(tls.connect(wss_url(), basic("CP-1", "secret-password-1")).http_status == 401);
  }
  SECTION("profile 2: TLS and Basic auth on wss://, never on ws://") {
    OcppTestPile pile("CP-2");
    REQUIRE(pile.connect(wss_url(), basic("CP-2", "secret-password-2")).connected);
    CHECK(std::string(pile.call_ok("BootNotification", boot_payload())["status"].GetString()) ==
          "Accepted");
    OcppTestPile downgrade("CP-2");
    CHECK(downgrade.connect(ws_url(), basic("CP-2", "secret-password-2")).http_status == 401);
    OcppTestPile wrong("CP-2");
    CHECK(wrong.refused_after_upgrade(wrong.connect(wss_url(), basic("CP-2", "nope"))));
  }
  SECTION("profile 3: client certificate whose CN is the id") {
    WsClientOptions options;
    options.ca_file = certificates.ca_file();
    options.cert_file = certificates.client("CP-3").cert;
    options.key_file = certificates.client("CP-3").key;
    OcppTestPile pile("CP-3");
    REQUIRE(pile.connect(wss_url(), options).connected);
    CHECK(std::string(pile.call_ok("BootNotification", boot_payload())["status"].GetString()) ==
          "Accepted");

    OcppTestPile no_cert("CP-3");
    WsClientOptions plain_tls;
    plain_tls.ca_file = certificates.ca_file();
    CHECK_FALSE(no_cert.connect(wss_url(), plain_tls).connected);

    WsClientOptions other_cn = plain_tls;
    other_cn.cert_file = certificates.client("CP-2").cert;
    other_cn.key_file = certificates.client("CP-2").key;
    OcppTestPile impostor("CP-3");
    CHECK_FALSE(impostor.connect(wss_url(), other_cn).connected);

    WsClientOptions untrusted = plain_tls;
    untrusted.cert_file = certificates.untrusted_client("CP-3").cert;
    untrusted.key_file = certificates.untrusted_client("CP-3").key;
    OcppTestPile forged("CP-3");
    CHECK_FALSE(forged.connect(wss_url(), untrusted).connected);
  }
  SECTION("unknown ids and missing subprotocol are refused at the upgrade") {
    // SPEC 3: an unknown id is refused at the upgrade (401), with
    // credentials or without. A wrong password of a known pile is upgraded
    // and closed with 1008 once the password check (off the loop) failed.
    OcppTestPile unknown("CP-NOBODY");
    auto ghost = unknown.connect(ws_url(), basic("CP-NOBODY", "secret-password-1"));
    CHECK_FALSE(ghost.connected);
    CHECK(ghost.http_status == 401);
    OcppTestPile known("CP-1");
    CHECK(
        known.refused_after_upgrade(known.connect(ws_url(), basic("CP-1", "not-the-password-1"))));
    OcppTestPile unknown_anonymous("CP-NOBODY");
    auto nobody = unknown_anonymous.connect(ws_url());
    CHECK(nobody.http_status == 401);
    WsClientOptions no_protocol = basic("CP-1", "secret-password-1");
    no_protocol.subprotocol.reset();
    OcppTestPile old("CP-1");
    CHECK_FALSE(old.connect(ws_url(), no_protocol).connected);
  }
}

TEST_CASE_METHOD(CentralSystemFixture, "registration state decides the boot answer") {
  start();
  OcppTestPile pile("CP-PENDING");
  REQUIRE(pile.connect(ws_url(), basic("CP-PENDING", "pending-password-16")).connected);
  auto boot = pile.call_ok("BootNotification", boot_payload());
  CHECK(std::string(boot["status"].GetString()) == "Pending");
}

TEST_CASE_METHOD(CentralSystemFixture,
                 "unknown piles connect and wait as Pending with auto-registration") {
  extra_flags = {"--auto-register"};
  start();
  OcppTestPile pile("CP-NEW");
  REQUIRE(pile.connect(ws_url()).connected);
  CHECK(std::string(pile.call_ok("BootNotification", boot_payload())["status"].GetString()) ==
        "Pending");
  CHECK(scalar("SELECT registration_status FROM charge_points WHERE id = 'CP-NEW'") == "Pending");
}

TEST_CASE_METHOD(CentralSystemFixture,
                 "bad input gets the named CALLERROR and the connection stays up") {
  start();
  OcppTestPile pile("CP-1");
  REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);

  CHECK(error_code(pile.exchange("this is not json")) == "FormationViolation");
  CHECK(error_code(pile.exchange(R"({"not":"an array"})")) == "FormationViolation");
  CHECK(error_code(pile.exchange(R"([2,"m1"])")) == "ProtocolError");
  CHECK(error_code(pile.call("FlyToTheMoon", "{}")) == "NotImplemented");
  CHECK(error_code(pile.call("Reset", R"({"type":"Hard"})")) == "NotSupported");
  CHECK(error_code(pile.call("BootNotification", R"({"chargePointVendor":"x"})")) ==
        "OccurenceConstraintViolation");
  CHECK(error_code(
            pile.call("StatusNotification",
                      R"({"connectorId":"one","errorCode":"NoError","status":"Available"})")) ==
        "TypeConstraintViolation");
  CHECK(error_code(pile.call("StatusNotification",
                             R"({"connectorId":1,"errorCode":"NoError","status":"Sleeping"})")) ==
        "PropertyConstraintViolation");
  CHECK(error_code(pile.call("Authorize", R"({"idTag":"THIS-ID-TAG-IS-FAR-TOO-LONG"})")) ==
        "PropertyConstraintViolation");
  CHECK(error_code(pile.call("Heartbeat", R"({"surprise":1})")) == "FormationViolation");
  // An id too long to be valid is still the pile's only way to match the
  // answer to its CALL: it comes back, not "-1".
  const std::string long_id(40, 'L');
  auto long_answer = pile.exchange(R"([2,")" + long_id + R"(","Heartbeat",{}])");
  CHECK(error_code(long_answer) == "FormationViolation");
  CHECK(std::string(long_answer[1].GetString()) == long_id);
  // Nested deeper than 64 levels: refused without recursion, id kept.
  auto deep = pile.exchange(R"([2,"deep-1","DataTransfer",{"vendorId":"x","data":)" +
                            std::string(20000, '[') + "}]");
  CHECK(error_code(deep) == "FormationViolation");
  CHECK(std::string(deep[1].GetString()) == "deep-1");

  // After all that, the connection is still up and answers.
  CHECK(pile.call("Heartbeat", "{}")[0].GetInt() == 3);

  // A repeated message id is answered with the same reply, not handled twice.
  const std::string start = fmt::format(
      R"([2,"dup-1","StartTransaction",{{"connectorId":2,"idTag":"TAG-OK","meterStart":0,"timestamp":"{}"}}])",
      now_rfc3339());
  auto first = pile.exchange(start);
  auto again = pile.exchange(start);
  REQUIRE(first[0].GetInt() == 3);
  CHECK(again[2]["transactionId"].GetInt() == first[2]["transactionId"].GetInt());
  CHECK(scalar("SELECT count(*) FROM transactions") == "1");

  // A binary frame is not OCPP-J: the server closes that connection (1003).
  OcppTestPile binary("CP-PENDING");
  REQUIRE(binary.connect(ws_url(), basic("CP-PENDING", "pending-password-16")).connected);
  binary.client().send_binary("\x01\x02");
  CHECK(binary.client().wait_closed(5s) == 1003);
}

TEST_CASE_METHOD(CentralSystemFixture,
                 "a pile without a password connects only with --allow-unauthenticated-piles") {
  add_charge_point({"CP-OPEN"});
  start();
  OcppTestPile refused("CP-OPEN");
  CHECK(refused.connect(ws_url()).http_status == 401);
  OcppTestPile guessing("CP-OPEN");
  CHECK(guessing.connect(ws_url(), basic("CP-OPEN", "any-password-at-all")).http_status == 401);

  server.reset();
  extra_flags = {"--allow-unauthenticated-piles"};
  start();
  OcppTestPile open("CP-OPEN");
  REQUIRE(open.connect(ws_url()).connected);
  CHECK(std::string(open.call_ok("BootNotification", boot_payload())["status"].GetString()) ==
        "Accepted");
}

TEST_CASE_METHOD(CentralSystemFixture, "a reconnect with the same id replaces the old connection") {
  start();
  OcppTestPile first("CP-1");
  REQUIRE(first.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
  first.call_ok("BootNotification", boot_payload());
  OcppTestPile second("CP-1");
  REQUIRE(second.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
  CHECK(first.client().wait_closed(5s).has_value());
  CHECK(second.call("Heartbeat", "{}")[0].GetInt() == 3);
  CHECK(scalar("SELECT online FROM charge_points WHERE id = 'CP-1'") == "t");
}

TEST_CASE_METHOD(CentralSystemFixture, "a pile that goes silent is marked offline") {
  extra_flags = {"--ping-interval", "1"};
  start();
  OcppTestPile pile("CP-1");
  REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
  pile.call_ok("BootNotification", boot_payload());
  CHECK(scalar("SELECT online FROM charge_points WHERE id = 'CP-1'") == "t");
  pile.client().set_answer_pings(false);
  CHECK(eventually(
      [&] { return scalar("SELECT online FROM charge_points WHERE id = 'CP-1'") == "f"; }, 10s,
      100ms));
}

TEST_CASE_METHOD(CentralSystemFixture,
                 "nothing answered is lost when the server dies mid-session") {
  start();
  int transaction = 0;
  const std::string started = now_rfc3339();
  {
    OcppTestPile pile("CP-1");
    REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
    pile.call_ok("BootNotification", boot_payload());
    transaction =
        pile.call_ok("StartTransaction",
                     fmt::format(
                         R"({{"connectorId":1,"idTag":"TAG-OK","meterStart":10,"timestamp":"{}"}})",
                         started))["transactionId"]
            .GetInt();
    pile.call_ok("MeterValues", fmt::format(R"({{"connectorId":1,"transactionId":{},"meterValue":[
        {{"timestamp":"{}","sampledValue":[{{"value":"20"}}]}}]}})",
                                            transaction, now_rfc3339()));
    server->stop(/*kill_hard=*/true);  // no chance to flush anything
  }
  start();
  // The connection died with the old process: the pile is offline until it
  // comes back.
  CHECK(scalar("SELECT online FROM charge_points WHERE id = 'CP-1'") == "f");
  OcppTestPile pile("CP-1");
  REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
  pile.call_ok("BootNotification", boot_payload());
  // The pile did not get the answer to a retried start: same id again.
  CHECK(pile.call_ok("StartTransaction",
                     fmt::format(
                         R"({{"connectorId":1,"idTag":"TAG-OK","meterStart":10,"timestamp":"{}"}})",
                         started))["transactionId"]
            .GetInt() == transaction);
  pile.call_ok("StopTransaction",
               fmt::format(R"({{"transactionId":{},"meterStop":30,"timestamp":"{}"}})", transaction,
                           now_rfc3339()));
  CHECK(scalar("SELECT count(*) FROM transactions") == "1");
  CHECK(scalar(fmt::format("SELECT meter_stop FROM transactions WHERE id = {}", transaction)) ==
        "30");
  CHECK(scalar(fmt::format("SELECT count(*) FROM meter_values WHERE transaction_id = {}",
                           transaction)) == "1");
}

TEST_CASE_METHOD(CentralSystemFixture, "a clean stop keeps every frame in the message log") {
  start();
  {
    OcppTestPile pile("CP-1");
    REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
    pile.call_ok("BootNotification", boot_payload());
    for (int i = 0; i < 20; ++i) pile.call_ok("Heartbeat", "{}");
  }
  CHECK(server->stop() == 0);
  CHECK(scalar("SELECT count(*) FROM message_log WHERE charge_point_id = 'CP-1'") == "42");
  CHECK(scalar("SELECT online FROM charge_points WHERE id = 'CP-1'") == "f");
}

TEST_CASE("chargelock refuses wrong settings and an unreachable database clearly") {
  auto [code, output] = ServerProcess::run({"serve", "--ocpp-listen", "nonsense"}, {});
  CHECK(code != 0);
  CHECK(output.find("--ocpp-listen") != std::string::npos);
  std::tie(code, output) = ServerProcess::run(
      {"serve"}, {{"CHARGELOCK_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none"}});
  CHECK(code != 0);
  CHECK(output.find("cannot connect to database") != std::string::npos);
  // One line, the cause on it (libpq's own message spans two).
  const auto line_start = output.rfind('\n', output.find("cannot connect to database"));
  const std::string line =
      output.substr(line_start == std::string::npos ? 0 : line_start + 1,
                    output.find('\n', output.find("cannot connect to database")) -
                        (line_start == std::string::npos ? 0 : line_start + 1));
  CHECK(line.find("refused") != std::string::npos);
  CHECK(output.find("\n\t") == std::string::npos);
  CHECK(output.find("\nIs the server") == std::string::npos);
}

// Many real piles send local times without a UTC offset. OCPP 1.6 refuses
// them (the default); --assume-utc-timestamps reads them as UTC instead.
TEST_CASE_METHOD(CentralSystemFixture,
                 "timestamps without a UTC offset are refused unless assumed to be UTC") {
  const std::string start_payload =
      R"({"connectorId":1,"idTag":"TAG-OK","meterStart":0,"timestamp":"2026-11-27T10:00:00"})";
  const std::string meter_payload =
      R"({"connectorId":1,"meterValue":[{"timestamp":"2026-11-27T10:05:00.5","sampledValue":[{"value":"42"}]}]})";

  SECTION("by default") {
    start();
    OcppTestPile pile("CP-1");
    REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
    CHECK(error_code(pile.call("StartTransaction", start_payload)) ==
          "PropertyConstraintViolation");
    CHECK(error_code(pile.call("MeterValues", meter_payload)) == "PropertyConstraintViolation");
    // With an offset, as OCPP asks, the same start is taken.
    pile.call_ok(
        "StartTransaction",
        R"({"connectorId":1,"idTag":"TAG-OK","meterStart":0,"timestamp":"2026-11-27T10:00:00+01:00"})");
    CHECK(scalar("SELECT count(*) FROM transactions") == "1");
    CHECK(scalar("SELECT count(*) FROM meter_values") == "0");
  }
  SECTION("with --assume-utc-timestamps") {
    extra_flags = {"--assume-utc-timestamps"};
    start();
    OcppTestPile pile("CP-1");
    REQUIRE(pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected);
    const int transaction =
        pile.call_ok("StartTransaction", start_payload)["transactionId"].GetInt();
    pile.call_ok("MeterValues", meter_payload);
    // Still no nonsense: a time that is not a date-time at all stays refused.
    CHECK(error_code(pile.call("MeterValues",
                               R"({"connectorId":1,"meterValue":[{"timestamp":"2026-11-27 10:05",)"
                               R"("sampledValue":[{"value":"43"}]}]})")) ==
          "PropertyConstraintViolation");
    const std::string utc = "YYYY-MM-DD\"T\"HH24:MI:SS.MS";
    CHECK(scalar(fmt::format("SELECT to_char(start_timestamp AT TIME ZONE 'UTC', '{}') FROM "
                             "transactions WHERE id = {}",
                             utc, transaction)) == "2026-11-27T10:00:00.000");
    CHECK(scalar(fmt::format("SELECT to_char(timestamp AT TIME ZONE 'UTC', '{}') FROM meter_values",
                             utc)) == "2026-11-27T10:05:00.500");
  }
}

// SPEC §7 "Limits": upgrade attempts per source address are bounded before
// any password is hashed; the crossing is answered 429 and logged, and the
// address is served again once its bucket refills.
TEST_CASE_METHOD(CentralSystemFixture, "connection attempts per source address are bounded") {
  extra_flags = {"--ocpp-connect-rate", "1", "--ocpp-connect-burst", "3"};
  start();
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) {
    OcppTestPile pile("CP-1");
    statuses.push_back(pile.connect(ws_url()).http_status);  // no credentials: 401
  }
  CHECK(statuses == std::vector<int>{401, 401, 401, 429});
  CHECK(eventually(
      [&] {
        return server->output().find("too many connection attempts from 127.0.0.1") !=
               std::string::npos;
      },
      5s, 100ms));
  // A second later the address has an attempt again, and the right password
  // gets in.
  CHECK(eventually(
      [&] {
        OcppTestPile pile("CP-1");
        return pile.connect(ws_url(), basic("CP-1", "secret-password-1")).connected;
      },
      4s, 100ms));
}
