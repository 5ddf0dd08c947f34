// The vehicle lock end to end (SPEC §4): the real chargelock program on a
// real PostgreSQL, piles over websockets that answer the central system's
// calls. Owners, vehicles and locks are made through the core services on
// the same database (as the owner API will).
#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string_view>

#include "core/central_system.h"
#include "core/lock_codec.h"
#include "core/token_service.h"
#include "ocpp/command_validator.h"
#include "test/support/api_fixture.h"
#include "test/support/eventually.h"
#include "test/support/http_test_client.h"
#include "test/support/ocpp_test_pile.h"
#include "test/support/server_process.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kVin = "WVWZZZ1JZXW000001";

std::string text_of(const rapidjson::Value& value) {
  rapidjson::StringBuffer text;
  rapidjson::Writer<rapidjson::StringBuffer> writer(text);
  value.Accept(writer);
  return text.GetString();
}

// A JSON string literal of `text`.
std::string quoted(const std::string& text) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  writer.String(text);
  return out.GetString();
}

// A pile that answers the central system's CALLs while the test drives it.
class AnsweringPile {
 public:
  struct Call {
    std::string action;
    std::string payload;  // JSON text
  };
  // (action, payload) → response payload JSON; empty: no answer.
  using Responder = std::function<std::string(const std::string&, const rapidjson::Value&)>;

  AnsweringPile(std::string id, Responder responder)
      : pile_(std::move(id)), responder_(std::move(responder)) {}

  const std::string& id() const { return pile_.id(); }

  void connect(const std::string& url) {
    WsClientOptions options;
    options.basic_user = id();
    options.basic_password = "lock-test-secret-16";
    REQUIRE(pile_.connect(url, options).connected);
  }

  // Sends a CALL; answers CS CALLs that arrive before its reply.
  rapidjson::Document call(const std::string& action, const std::string& payload) {
    const std::string message_id = fmt::format("{}-{}", id(), next_id_++);
    REQUIRE(
        pile_.client().send_text(fmt::format(R"([2,"{}","{}",{}])", message_id, action, payload)));
    std::optional<rapidjson::Document> reply;
    eventually_meanwhile([&] { return reply.has_value(); },
                         [&] {
                           auto frame = next(200ms);
                           if (frame && (*frame)[0].GetInt() != 2 &&
                               std::string((*frame)[1].GetString()) == message_id)
                             reply = std::move(frame);
                         },
                         10s);
    if (!reply) FAIL(id() << ": no reply to " << action);
    REQUIRE((*reply)[0].GetInt() == 3);
    rapidjson::Document payload_doc;
    payload_doc.CopyFrom((*reply)[2], payload_doc.GetAllocator());
    return payload_doc;
  }

  // Answers CS CALLs until `done` holds (checked after each), or times out.
  bool serve_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 15s) {
    return eventually_meanwhile(
        done, [&] { next(100ms); }, timeout);
  }

  // Received CALLs with this action and (for DataTransfer) message id.
  std::vector<Call> calls(const std::string& action, const std::string& message_id = "") const {
    std::vector<Call> out;
    for (const Call& c : calls_) {
      if (c.action != action) continue;
      if (!message_id.empty()) {
        rapidjson::Document doc;
        doc.Parse(c.payload.c_str());
        if (!doc.HasMember("messageId") || message_id != doc["messageId"].GetString()) continue;
      }
      out.push_back(c);
    }
    return out;
  }

  // Sends a CALL with `message_id` and returns without waiting for its reply.
  bool call_async(const std::string& message_id, const std::string& action,
                  const std::string& payload) {
    return pile_.client().send_text(
        fmt::format(R"([2,"{}","{}",{}])", message_id, action, payload));
  }

  // The CALLRESULT payload for `message_id` (read here or by an earlier
  // serve_until()), answering CS CALLs meanwhile; nullopt after `timeout`.
  std::optional<rapidjson::Document> await_result(const std::string& message_id,
                                                  std::chrono::milliseconds timeout) {
    const auto found = [&] { return results_.find(message_id); };
    if (!eventually_meanwhile([&] { return found() != results_.end(); }, [&] { next(100ms); },
                              timeout))
      return std::nullopt;
    rapidjson::Document payload;
    payload.Parse(found()->second.c_str());
    return payload;
  }

  void close() { pile_.client().close(); }

 private:
  // One frame; a CS CALL is recorded and answered at once.
  std::optional<rapidjson::Document> next(std::chrono::milliseconds timeout) {
    auto text = pile_.client().receive(timeout);
    if (!text) return std::nullopt;
    rapidjson::Document frame;
    frame.Parse(text->c_str());
    REQUIRE((!frame.HasParseError() && frame.IsArray()));
    if (frame[0].GetInt() == 3) results_[frame[1].GetString()] = text_of(frame[2]);
    if (frame[0].GetInt() == 2) {
      const std::string action = frame[2].GetString();
      calls_.push_back({action, text_of(frame[3])});
      const std::string response = responder_(action, frame[3]);
      // An empty answer: the pile stays silent (the CALL times out);
      // "CALLERROR:<code>": the pile answers with that CALLERROR.
      constexpr std::string_view kCallError = "CALLERROR:";
      if (response.rfind(kCallError, 0) == 0)
        pile_.client().send_text(fmt::format(R"([4,"{}","{}","busy",{{}}])", frame[1].GetString(),
                                             response.substr(kCallError.size())));
      else if (!response.empty())
        pile_.client().send_text(fmt::format(R"([3,"{}",{}])", frame[1].GetString(), response));
    }
    return frame;
  }

  OcppTestPile pile_;
  Responder responder_;
  std::vector<Call> calls_;
  std::map<std::string, std::string> results_;  // CALLRESULT payloads by message id
  int next_id_ = 1;
};

// Implements org.chargelock: arms on LockVehicle, unlocks on request.
std::string extension_pile(const std::string& action, const rapidjson::Value& payload) {
  if (action == "DataTransfer") {
    const std::string vendor = payload["vendorId"].GetString();
    return vendor == "org.chargelock" ? R"({"status":"Accepted"})"
                                      : R"({"status":"UnknownVendorId"})";
  }
  if (action == "UnlockConnector") return R"({"status":"Unlocked"})";
  return R"({"status":"Accepted"})";
}

// A standard 1.6 pile: knows no vendor extension.
std::string standard_pile(const std::string& action, const rapidjson::Value&) {
  if (action == "DataTransfer") return R"({"status":"UnknownVendorId"})";
  if (action == "UnlockConnector") return R"({"status":"Unlocked"})";
  return R"({"status":"Accepted"})";
}

// The central system stopped this transaction at the pile, exactly once.
void expect_stopped_once(AnsweringPile& pile, int transaction_id) {
  CHECK(pile.serve_until([&] { return !pile.calls("RemoteStopTransaction").empty(); }));
  REQUIRE(pile.calls("RemoteStopTransaction").size() == 1);
  CHECK(pile.calls("RemoteStopTransaction")[0].payload ==
        fmt::format(R"({{"transactionId":{}}})", transaction_id));
}

std::string boot_payload() {
  return R"({"chargePointVendor":"ChargeLock","chargePointModel":"Test"})";
}

struct LockFixture {
  TestDatabase database;
  ocpp::OcppCommandValidator validator;
  std::unique_ptr<core::CentralSystem> central;  // the owner API's view, in this process
  std::unique_ptr<ServerProcess> server;
  std::int64_t owner_id = 0;

  LockFixture() {
    add_charge_point("CP-EXT", 48.10, 11.50);
    add_charge_point("CP-STD", 48.12, 11.52);
    add_charge_point("CP-LATE", 48.14, 11.54);
    add_charge_point("CP-FAR", 52.52, 13.40);
    core::CentralSystemConfig config;
    config.message_log = false;
    central = std::make_unique<core::CentralSystem>(database.db(), config);
    central->set_command_validator(&validator);
    owner_id =
        std::stoll(database.scalar("INSERT INTO owners (name) VALUES ('alice') RETURNING id"));
    core::IdTag card;
    card.id_tag = "TAG-A";
    card.owner_id = owner_id;
    central->authorization().put_id_tag(card);
    central->vehicles().register_vehicle({owner_id, kVin, {"TAG-A"}, {"EVCC-A"}});
    central->vehicles().verify(kVin, owner_id, {"operator:test", std::nullopt});
    central->telematics().report({kVin, 15, core::GeoLocation{48.11, 11.51}, core::Clock::now()});
  }

  std::map<std::string, std::string> env() const {
    return {{"CHARGELOCK_DATABASE_URL", database.url()}, {"CHARGELOCK_ADMIN_TOKEN", kAdminToken}};
  }

  void add_charge_point(const std::string& id, double lat, double lon) {
    auto [code, output] =
        ServerProcess::run({"chargepoint", "add", id, "--password", "lock-test-secret-16", "--lat",
                            fmt::format("{}", lat), "--lon", fmt::format("{}", lon)},
                           env());
    INFO(output);
    REQUIRE(code == 0);
  }

  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"serve", "--ocpp-listen", "127.0.0.1:0", "--api-listen",
                                  "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    server = std::make_unique<ServerProcess>(args, env());
  }

  // A new REST token of the fixture's owner.
  std::string owner_token() {
    const std::string token = core::TokenService::generate();
    database.scalar(fmt::format(
        "INSERT INTO api_tokens (role, name, owner_id, token_hash) VALUES ('owner', 'alice', {}, "
        "'{}')",
        owner_id, core::TokenService::hash(token)));
    return token;
  }

  // The operator's REST client (the admin token).
  std::unique_ptr<HttpTestClient> admin() const {
    return std::make_unique<HttpTestClient>(server->port("api"), kAdminToken);
  }

  std::string vehicle_locked(AnsweringPile& pile, const std::string& lock_id, int connector,
                             const std::string& extra = "") {
    auto answer = pile.call(
        "DataTransfer",
        fmt::format(R"({{"vendorId":"org.chargelock","messageId":"VehicleLocked","data":{}}})",
                    quoted(fmt::format(R"({{"lockId":"{}","connectorId":{},"idTag":"TAG-A"{}}})",
                                       lock_id, connector, extra))));
    return answer["status"].GetString();
  }

  std::string url() const { return fmt::format("ws://127.0.0.1:{}", server->port("ocpp ws")); }

  core::LockView lock(const std::string& id) { return *central->locks().find(id); }

  bool counts(const std::string& id, int armed, int unsupported, int pending) {
    const auto v = lock(id);
    return v.piles.armed == armed && v.piles.unsupported == unsupported &&
           v.piles.pending == pending;
  }
};

}  // namespace

TEST_CASE_METHOD(LockFixture, "lock end to end: armed, engaged, survives a restart, released") {
  start();
  AnsweringPile ext("CP-EXT", extension_pile);
  AnsweringPile std_pile("CP-STD", standard_pile);
  ext.connect(url());
  std_pile.connect(url());
  CHECK(std::string(ext.call("BootNotification", boot_payload())["status"].GetString()) ==
        "Accepted");
  std_pile.call("BootNotification", boot_payload());

  // Radius 10 km around the vehicle's last position: not CP-FAR.
  const auto requested = central->locks().request_lock({owner_id, kVin, {10.0, std::nullopt}});
  const std::string id = requested.lock.id;
  CHECK(requested.lock.status == core::LockStatus::Armed);
  CHECK(requested.piles.pending == 3);
  CHECK(ext.serve_until([&] { return !ext.calls("DataTransfer", "LockVehicle").empty(); }));
  // The pile's answers reach the lock as they are recorded, without anyone
  // reading the lock (the command queue tells the lock service).
  const auto pile_status = [&](const std::string& pile) {
    return database.scalar("SELECT status FROM vehicle_lock_piles WHERE lock_id = '" + id +
                           "' AND charge_point_id = '" + pile + "'");
  };
  CHECK(std_pile.serve_until([&] { return pile_status("CP-STD") == "unsupported"; }));
  CHECK(pile_status("CP-EXT") == "armed");
  CHECK(std_pile.serve_until([&] { return counts(id, 1, 1, 1); }));

  // The wire format: data is a JSON text.
  {
    rapidjson::Document payload;
    payload.Parse(ext.calls("DataTransfer", "LockVehicle").at(0).payload.c_str());
    CHECK(std::string(payload["vendorId"].GetString()) == "org.chargelock");
    rapidjson::Document data;
    data.Parse(payload["data"].GetString());
    CHECK(std::string(data["lockId"].GetString()) == id);
    CHECK(std::string(data["vin"].GetString()) == kVin);
    CHECK(std::string(data["idTags"][0].GetString()) == "TAG-A");
    CHECK(std::string(data["evccIds"][0].GetString()) == "EVCC-A");
  }

  // A pile connecting after the lock is armed on boot.
  {
    AnsweringPile late("CP-LATE", extension_pile);
    late.connect(url());
    late.call("BootNotification", boot_payload());
    CHECK(late.serve_until([&] { return counts(id, 2, 1, 0); }));
    CHECK(late.calls("DataTransfer", "LockVehicle").size() >= 1);
    late.close();
  }

  // Restart mid-lock: the state is kept; the pile is armed again at boot.
  ext.close();
  std_pile.close();
  server->stop();
  start();
  CHECK(lock(id).lock.status == core::LockStatus::Armed);
  CHECK(counts(id, 2, 1, 0));
  AnsweringPile ext2("CP-EXT", extension_pile);
  ext2.connect(url());
  ext2.call("BootNotification", boot_payload());
  CHECK(ext2.serve_until([&] { return !ext2.calls("DataTransfer", "LockVehicle").empty(); }));
  CHECK(ext2.serve_until([&] { return counts(id, 2, 1, 0); }));

  // The vehicle plugs in: the pile holds it and reports it.
  auto answer = ext2.call(
      "DataTransfer",
      fmt::format(
          R"({{"vendorId":"org.chargelock","messageId":"VehicleLocked","data":{}}})",
          quoted(fmt::format(R"({{"lockId":"{}","connectorId":1,"evccId":"EVCC-A"}})", id))));
  CHECK(std::string(answer["status"].GetString()) == "Accepted");
  auto held = lock(id);
  CHECK(held.lock.status == core::LockStatus::Engaged);
  CHECK(held.lock.charge_point_id == std::optional<std::string>("CP-EXT"));
  CHECK(held.lock.connector_id == std::optional<int>(1));
  bool notified = false;
  for (const auto& n : central->notifications().list(owner_id, 0))
    if (n.kind == "vehicle_caught" && n.body_json.find("\"CP-EXT\"") != std::string::npos &&
        n.body_json.find("\"lat\":48.1") != std::string::npos)
      notified = true;
  CHECK(notified);

  // An unknown lock is rejected.
  answer = ext2.call(
      "DataTransfer",
      R"({"vendorId":"org.chargelock","messageId":"VehicleLocked","data":"{\"lockId\":\"nope\",\"connectorId\":1,\"vin\":\"x\"}"})");
  CHECK(std::string(answer["status"].GetString()) == "Rejected");

  // Release: UnlockVehicle and UnlockConnector reach the pile; released
  // after it answers Unlocked.
  CHECK(central->locks().release(owner_id, id).lock.status == core::LockStatus::Engaged);
  CHECK(ext2.serve_until([&] { return lock(id).lock.status == core::LockStatus::Released; }));
  CHECK(ext2.calls("DataTransfer", "UnlockVehicle").size() == 1);
  REQUIRE(ext2.calls("UnlockConnector").size() == 1);
  CHECK(ext2.calls("UnlockConnector")[0].payload == R"({"connectorId":1})");
  const auto trail = central->locks().transitions(id);
  CHECK(trail.back().to_status == core::LockStatus::Released);
}

TEST_CASE_METHOD(LockFixture, "lock end to end: a standard pile gets the Blocked fallback") {
  start();
  AnsweringPile std_pile("CP-STD", standard_pile);
  std_pile.connect(url());
  std_pile.call("BootNotification", boot_payload());
  const std::string id = central->locks().request_lock({owner_id, kVin, {}}).lock.id;
  CHECK(std_pile.serve_until([&] { return lock(id).piles.unsupported == 1; }));

  auto authorized = std_pile.call("Authorize", R"({"idTag":"TAG-A"})");
  CHECK(std::string(authorized["idTagInfo"]["status"].GetString()) == "Blocked");
  auto caught = lock(id);
  CHECK(caught.lock.status == core::LockStatus::Engaged);
  CHECK(caught.lock.engaged_without_hold);
  CHECK(caught.lock.charge_point_id == std::optional<std::string>("CP-STD"));

  auto started = std_pile.call(
      "StartTransaction",
      fmt::format(R"({{"connectorId":1,"idTag":"EVCC-A","meterStart":0,"timestamp":"{}"}})",
                  now_rfc3339()));
  CHECK(std::string(started["idTagInfo"]["status"].GetString()) == "Blocked");
  // A tag of no locked vehicle is not affected.
  authorized = std_pile.call("Authorize", R"({"idTag":"OTHER"})");
  CHECK(std::string(authorized["idTagInfo"]["status"].GetString()) == "Invalid");

  // Every Blocked attempt is a sighting.
  const auto sightings = central->locks().sightings(id);
  REQUIRE(sightings.size() == 2);
  CHECK(sightings[0].source == "Authorize");
  CHECK(sightings[1].source == "StartTransaction");
  CHECK(sightings[1].connector_id == std::optional<int>(1));
  CHECK_FALSE(sightings[1].held);
  // The pile went on charging after the Blocked answer (it never sent
  // StopTransaction): the central system stops the transaction, once.
  expect_stopped_once(std_pile, started["transactionId"].GetInt());
}

TEST_CASE_METHOD(LockFixture,
                 "lock end to end: a car already charging is engaged at once and stopped") {
  start();
  AnsweringPile std_pile("CP-STD", standard_pile);
  std_pile.connect(url());
  std_pile.call("BootNotification", boot_payload());
  // The thief charges with the owner's card before the owner notices.
  auto started = std_pile.call(
      "StartTransaction",
      fmt::format(R"({{"connectorId":2,"idTag":"TAG-A","meterStart":0,"timestamp":"{}"}})",
                  now_rfc3339()));
  REQUIRE(std::string(started["idTagInfo"]["status"].GetString()) == "Accepted");
  const int transaction_id = started["transactionId"].GetInt();

  const auto requested = central->locks().request_lock({owner_id, kVin, {}});
  const std::string id = requested.lock.id;
  // Engaged at once where the car is, from the open transaction.
  CHECK(requested.lock.status == core::LockStatus::Engaged);
  CHECK(requested.lock.charge_point_id == std::optional<std::string>("CP-STD"));
  CHECK(requested.lock.connector_id == std::optional<int>(2));
  const auto sightings = central->locks().sightings(id);
  REQUIRE(sightings.size() == 1);
  CHECK(sightings[0].source == "Transaction");
  CHECK(sightings[0].transaction_id == std::optional<int>(transaction_id));
  bool told = false;
  for (const auto& n : central->notifications().list(owner_id, 0))
    if (n.kind == "vehicle_caught" &&
        n.body_json.find("charging at pile CP-STD") != std::string::npos)
      told = true;
  CHECK(told);

  // The pile gets LockVehicle first; it has no extension, so the
  // transaction is stopped: no more energy for the car.
  expect_stopped_once(std_pile, transaction_id);
  CHECK_FALSE(std_pile.calls("DataTransfer", "LockVehicle").empty());
}

TEST_CASE_METHOD(LockFixture,
                 "lock end to end: sightings, the operator's view, evidence, audited release") {
  start();
  AnsweringPile ext("CP-EXT", extension_pile);
  AnsweringPile other("CP-LATE", extension_pile);
  ext.connect(url());
  other.connect(url());
  ext.call("BootNotification", boot_payload());
  other.call("BootNotification", boot_payload());
  const std::string id = central->locks().request_lock({owner_id, kVin, {}}).lock.id;
  CHECK(ext.serve_until([&] { return !ext.calls("DataTransfer", "LockVehicle").empty(); }));
  CHECK(other.serve_until([&] { return !other.calls("DataTransfer", "LockVehicle").empty(); }));
  CHECK(other.serve_until([&] { return lock(id).piles.armed == 2; }));

  // CP-LATE matches the car but cannot hold the cable: seen, not held.
  CHECK(vehicle_locked(other, id, 1, R"(,"held":false)") == "Accepted");
  auto view = lock(id);
  CHECK(view.lock.status == core::LockStatus::Engaged);
  CHECK(view.lock.engaged_without_hold);
  // A catch without a hold freezes nothing on that pile.
  auto admin_client = admin();
  CHECK(admin_client
            ->post("/api/v1/chargepoints/CP-LATE/commands",
                   R"({"action":"Reset","payload":{"type":"Soft"}})")
            .status == 202);
  // Then CP-EXT holds it; a later report from CP-LATE is one more sighting.
  CHECK(vehicle_locked(ext, id, 1) == "Accepted");
  CHECK(vehicle_locked(other, id, 2, R"(,"held":false)") == "Accepted");
  view = lock(id);
  CHECK_FALSE(view.lock.engaged_without_hold);
  CHECK(view.lock.charge_point_id == std::optional<std::string>("CP-EXT"));

  // The operator sees the lock, its sightings and the inbox.
  auto read = admin_client->get("/api/v1/locks/" + id);
  REQUIRE(read.status == 200);
  auto body = read.json();
  REQUIRE(body["sightings"].Size() == 3);
  CHECK_FALSE(body["sightings"][0]["held"].GetBool());
  CHECK(body["sightings"][1]["held"].GetBool());
  CHECK(std::string(body["sightings"][1]["chargePointId"].GetString()) == "CP-EXT");
  CHECK(admin_client->get("/api/v1/locks?status=engaged").json()["locks"].Size() == 1);
  CHECK(admin_client->get("/api/v1/locks?chargePointId=CP-EXT").json()["locks"].Size() == 1);
  CHECK(admin_client->get("/api/v1/locks?chargePointId=CP-NONE").json()["locks"].Size() == 0);
  const auto inbox = admin_client->get("/api/v1/notifications").json();
  int caught = 0, sighted = 0;
  for (const auto& n : inbox["notifications"].GetArray()) {
    const std::string kind = n["kind"].GetString();
    caught += kind == "vehicle_caught";
    sighted += kind == "vehicle_sighted";
  }
  CHECK(caught == 2);  // seen at CP-LATE, then held at CP-EXT
  CHECK(sighted == 1);

  // While CP-EXT holds the car, nothing that could undo the hold goes out.
  for (
      const char* command :
      {R"({"action":"ChangeAvailability","payload":{"connectorId":0,"type":"Inoperative"}})",
       R"({"action":"UnlockConnector","payload":{"connectorId":1}})",
       R"({"action":"UpdateFirmware","payload":{"location":"ftp://x/fw","retrieveDate":"2030-01-01T00:00:00Z"}})",
       R"({"action":"DataTransfer","payload":{"vendorId":"org.chargelock","messageId":"UnlockVehicle","data":"{}"}})"}) {
    auto refused = admin_client->post("/api/v1/chargepoints/CP-EXT/commands", command);
    INFO(command << " " << refused.body);
    CHECK(refused.status == 409);
  }

  // Police case reference, and the evidence export.
  CHECK(admin_client->request("PATCH", "/api/v1/locks/" + id, R"({"caseReference":"POL-2026-77"})")
            .status == 200);
  auto report = admin_client->get("/api/v1/locks/" + id + "/report");
  REQUIRE(report.status == 200);
  auto evidence = report.json();
  CHECK(std::string(evidence["lock"]["caseReference"].GetString()) == "POL-2026-77");
  CHECK(evidence["lock"]["sightings"].Size() == 3);
  CHECK(evidence["piles"].Size() == 2);
  bool frame_with_lock = false;
  for (const auto& frame : evidence["frames"].GetArray())
    if (std::string(frame["frame"].GetString()).find("VehicleLocked") != std::string::npos)
      frame_with_lock = true;
  CHECK(frame_with_lock);
  auto printable = admin_client->get("/api/v1/locks/" + id + "/report?format=html");
  CHECK(printable.status == 200);
  CHECK(printable.body.find("POL-2026-77") != std::string::npos);

  // An emergency release needs a reason, which the trail and the owner get.
  CHECK(admin_client->post("/api/v1/locks/" + id + "/release", "").status == 400);
  CHECK(admin_client->post("/api/v1/locks/" + id + "/release", R"({"reason":"  "})").status == 400);
  auto released = admin_client->post("/api/v1/locks/" + id + "/release",
                                     R"({"reason":"fire brigade needs the bay"})");
  INFO(released.body);
  CHECK(released.status == 202);
  CHECK(ext.serve_until([&] { return lock(id).lock.status == core::LockStatus::Released; }));
  CHECK(other.serve_until([&] { return !other.calls("DataTransfer", "UnlockVehicle").empty(); }));
  bool reason_in_trail = false;
  for (const auto& t : central->locks().transitions(id))
    if (t.cause.find("fire brigade needs the bay") != std::string::npos) reason_in_trail = true;
  CHECK(reason_in_trail);
  bool owner_told = false;
  for (const auto& n : central->notifications().list(owner_id, 0))
    if (n.body_json.find("fire brigade needs the bay") != std::string::npos) owner_told = true;
  CHECK(owner_told);
}

TEST_CASE_METHOD(LockFixture,
                 "lock end to end: arming never lapses after a timed-out LockVehicle") {
  start({"--call-timeout", "2"});
  int lock_vehicle_calls = 0;
  // The pile misses the first LockVehicle (no answer), then answers.
  AnsweringPile flaky("CP-EXT", [&](const std::string& action, const rapidjson::Value& payload) {
    if (action == "DataTransfer" &&
        std::string(payload["messageId"].GetString()) == "LockVehicle" && ++lock_vehicle_calls == 1)
      return std::string();
    return extension_pile(action, payload);
  });
  flaky.connect(url());
  flaky.call("BootNotification", boot_payload());
  const std::string id = central->locks().request_lock({owner_id, kVin, {}}).lock.id;
  CHECK(flaky.serve_until([&] { return lock(id).piles.armed == 1; }, 30s));
  CHECK(flaky.calls("DataTransfer", "LockVehicle").size() == 2);
}

TEST_CASE_METHOD(LockFixture,
                 "lock end to end: a LockVehicle failed with a CALLERROR is sent again after a "
                 "back-off") {
  start();
  int lock_vehicles = 0;
  AnsweringPile ext("CP-EXT", [&](const std::string& action, const rapidjson::Value& payload) {
    if (action == "DataTransfer" && payload.HasMember("messageId") &&
        std::string(payload["messageId"].GetString()) == "LockVehicle" && ++lock_vehicles == 1)
      return std::string("CALLERROR:InternalError");  // busy: not "unsupported"
    return extension_pile(action, payload);
  });
  ext.connect(url());
  ext.call("BootNotification", boot_payload());
  const std::string id = central->locks().request_lock({owner_id, kVin, {}}).lock.id;
  const auto row = [&](const std::string& column) {
    return database.scalar("SELECT " + column + " FROM vehicle_lock_piles WHERE lock_id = '" + id +
                           "' AND charge_point_id = 'CP-EXT'");
  };
  // The failure is not final (the pile stays pending, not unsupported) and
  // is not retried at once: a back-off of about 10 s.
  REQUIRE(ext.serve_until([&] { return row("retry_at IS NOT NULL") == "t"; }));
  CHECK(row("status") == "pending");
  CHECK(row("retry_at > now() + interval '5 seconds'") == "t");
  CHECK(lock_vehicles == 1);
  // Then it is sent again (the sweep, every 5 s) and the pile arms.
  CHECK(ext.serve_until([&] { return row("status") == "armed"; }, 45s));
  CHECK(lock_vehicles == 2);
  CHECK(row("retry_at IS NULL") == "t");
}

TEST_CASE_METHOD(LockFixture,
                 "lock end to end: a VehicleLocked and its stream event overtake thousands of "
                 "MeterValues queued before it") {
  // Ten piles far from the car, 300 MeterValues each sent at once (a pile's
  // session is closed beyond 1,024 unsent answers).
  constexpr int kFloodPiles = 10;
  constexpr int kPerPile = 300;
  constexpr int kFlood = kFloodPiles * kPerPile;
  for (int i = 1; i <= kFloodPiles; ++i)
    add_charge_point(fmt::format("CP-FLOOD-{}", i), 52.0, 13.0);
  start({"--workers", "1"});  // every pile's work on one worker
  AnsweringPile ext("CP-EXT", extension_pile);
  ext.connect(url());
  ext.call("BootNotification", boot_payload());
  std::vector<std::unique_ptr<OcppTestPile>> flood;
  for (int i = 1; i <= kFloodPiles; ++i) {
    flood.push_back(std::make_unique<OcppTestPile>(fmt::format("CP-FLOOD-{}", i)));
    WsClientOptions options;
    options.basic_user = flood.back()->id();
    options.basic_password = "lock-test-secret-16";
    REQUIRE(flood.back()->connect(url(), options).connected);
    flood.back()->call_ok("BootNotification", boot_payload());
  }

  const std::string id =
      central->locks().request_lock({owner_id, kVin, {10.0, std::nullopt}}).lock.id;
  REQUIRE(ext.serve_until([&] {
    return database.scalar("SELECT status FROM vehicle_lock_piles WHERE lock_id = '" + id +
                           "' AND charge_point_id = 'CP-EXT'") == "armed";
  }));
  // The owner's stream.
  HttpTestClient stream(server->port("api"), owner_token());
  REQUIRE(stream.open_stream("/api/v1/notifications/stream").status == 200);
  REQUIRE(stream.read_stream_until(": connected", 5s));

  // Meter values cannot be written until the test lets them: the worker
  // stops in the first one, the rest of the flood queues behind it.
  pqxx::connection blocker(database.url());
  auto held = std::make_unique<pqxx::work>(blocker);
  held->exec("LOCK TABLE meter_values IN EXCLUSIVE MODE");
  for (int i = 0; i < kPerPile; ++i)
    for (auto& pile : flood)
      REQUIRE(pile->client().send_text(
          fmt::format(R"([2,"mv-{}","MeterValues",{{"connectorId":1,"meterValue":[{{"timestamp":)"
                      R"("2024-05-01T12:00:00Z","sampledValue":[{{"value":"{}"}}]}}]}}])",
                      i, i)));
  const auto logged = [&](const std::string& piles, const std::string& like) {
    return std::stoi(database.scalar(
        "SELECT count(*) FROM message_log WHERE direction = 'in' AND charge_point_id LIKE '" +
        piles + "' AND frame LIKE '" + like + "'"));
  };
  // Every MeterValues is read and queued (the server logs a frame as it
  // reads it) and the worker waits on the table.
  REQUIRE(ext.serve_until([&] { return logged("CP-FLOOD-%", "%MeterValues%") == kFlood; }, 60s));
  REQUIRE(database.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                          "AND query ILIKE '%meter_values%' AND datname = current_database()") ==
          "1");

  // The pile holds the car: its report is queued after the whole flood.
  const std::string data =
      quoted(fmt::format(R"({{"lockId":"{}","connectorId":1,"idTag":"TAG-A"}})", id));
  const std::string report_id = "report-1";
  REQUIRE(ext.call_async(
      report_id, "DataTransfer",
      fmt::format(R"({{"vendorId":"org.chargelock","messageId":"VehicleLocked","data":{}}})",
                  data)));
  REQUIRE(ext.serve_until([&] { return logged("CP-EXT", "%VehicleLocked%") == 1; }));
  held->commit();  // the meter values may be written now

  const auto stored = [&] {
    return std::stoi(database.scalar(
        "SELECT count(*) FROM meter_values WHERE charge_point_id LIKE 'CP-FLOOD-%'"));
  };
  // Answered, and told to the owner, while the flood is still queued: first
  // in, first out they would come after all 3,000 were stored. The worker
  // keeps writing the flood while the answer and the event travel (and the
  // test reads them): under a loaded CI machine ~1,500 were stored by the
  // time the test saw the event, so the bound leaves a tenth unstored rather
  // than half — still unreachable for a report queued behind the flood.
  constexpr int kOvertaken = kFlood * 9 / 10;
  const auto answer = ext.await_result(report_id, 30s);
  REQUIRE(answer.has_value());
  CHECK(std::string((*answer)["status"].GetString()) == "Accepted");
  const int stored_at_answer = stored();
  CHECK(stored_at_answer < kOvertaken);
  REQUIRE(stream.read_stream_until("event: vehicle_caught", 10s));
  const int stored_at_event = stored();
  CHECK(stored_at_event < kOvertaken);
  INFO("meter values stored at the answer: " << stored_at_answer << ", at the event "
                                             << stored_at_event);

  // Nothing of the flood is lost: every MeterValues answered, every value stored.
  for (auto& pile : flood) {
    int answered = 0;
    while (answered < kPerPile) {
      auto text = pile->client().receive(30s);
      REQUIRE(text.has_value());
      if (text->rfind("[3,\"mv-", 0) == 0) ++answered;
    }
  }
  CHECK(stored() == kFlood);
}

// Through the serving process's API, its own OCPP node's idle piles get
// their LockVehicle claimed in the fan-out's own statement (sent_at is the
// statement's transaction time, as created_at; no claim a pile) and written
// by its dispatcher; the release's UnlockVehicle the same way.
TEST_CASE_METHOD(LockFixture,
                 "lock end to end: the API's fan-out hands its own node's piles their command "
                 "at once") {
  start();
  AnsweringPile ext("CP-EXT", extension_pile);
  ext.connect(url());
  REQUIRE(std::string(ext.call("BootNotification", boot_payload())["status"].GetString()) ==
          "Accepted");
  HttpTestClient owner(server->port("api"), owner_token());
  const auto locked =
      owner.post(fmt::format("/api/v1/vehicles/{}/lock", kVin), R"({"scope":{"radiusKm":10}})");
  REQUIRE(locked.status == 202);
  const std::string id = locked.json()["lockId"].GetString();
  REQUIRE(ext.serve_until([&] { return !ext.calls("DataTransfer", "LockVehicle").empty(); }));
  const auto claimed_at_creation = [&](const std::string& message_id) {
    return database.scalar(fmt::format(
        "SELECT bool_and(claimed_by IS NOT NULL AND sent_at = created_at) FROM commands"
        " WHERE charge_point_id = 'CP-EXT' AND origin = 'lock:{}' AND payload LIKE '%{}%'",
        id, message_id));
  };
  CHECK(claimed_at_creation("LockVehicle") == "t");
  REQUIRE(ext.serve_until([&] { return counts(id, 1, 0, 2); }));  // CP-STD, CP-LATE: offline

  REQUIRE(owner.post(fmt::format("/api/v1/locks/{}/release", id), "").status == 202);
  REQUIRE(ext.serve_until([&] { return !ext.calls("DataTransfer", "UnlockVehicle").empty(); }));
  CHECK(claimed_at_creation("UnlockVehicle") == "t");
  CHECK(ext.serve_until([&] { return lock(id).piles.disarmed == 1; }));
  CHECK(ext.calls("DataTransfer", "LockVehicle").size() == 1);
}
