// The vehicle lock end to end (SPEC §4): the real chargelock program on a
// real PostgreSQL, piles over websockets that answer the central system's
// calls. Owners, vehicles and locks are made through the core services on
// the same database (as the owner API will).
#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <functional>
#include <thread>

#include "core/central_system.h"
#include "core/lock_codec.h"
#include "ocpp/command_validator.h"
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
  // (action, payload) → response payload JSON.
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
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto frame = next(200ms);
      if (!frame) continue;
      if ((*frame)[0].GetInt() != 2 && std::string((*frame)[1].GetString()) == message_id) {
        REQUIRE((*frame)[0].GetInt() == 3);
        rapidjson::Document payload_doc;
        payload_doc.CopyFrom((*frame)[2], payload_doc.GetAllocator());
        return payload_doc;
      }
    }
    FAIL(id() << ": no reply to " << action);
    return {};
  }

  // Answers CS CALLs until `done` holds (checked after each), or times out.
  bool serve_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      next(100ms);
    }
    return done();
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

  void close() { pile_.client().close(); }

 private:
  // One frame; a CS CALL is recorded and answered at once.
  std::optional<rapidjson::Document> next(std::chrono::milliseconds timeout) {
    auto text = pile_.client().receive(timeout);
    if (!text) return std::nullopt;
    rapidjson::Document frame;
    frame.Parse(text->c_str());
    REQUIRE((!frame.HasParseError() && frame.IsArray()));
    if (frame[0].GetInt() == 2) {
      const std::string action = frame[2].GetString();
      calls_.push_back({action, text_of(frame[3])});
      const std::string response = responder_(action, frame[3]);
      pile_.client().send_text(fmt::format(R"([3,"{}",{}])", frame[1].GetString(), response));
    }
    return frame;
  }

  OcppTestPile pile_;
  Responder responder_;
  std::vector<Call> calls_;
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
    central->vehicles().register_vehicle({owner_id, kVin, {"TAG-A"}, {"EVCC-A"}});
    central->telematics().report({kVin, 15, core::GeoLocation{48.11, 11.51}, core::Clock::now()});
  }

  std::map<std::string, std::string> env() const {
    return {{"CHARGELOCK_DATABASE_URL", database.url()}};
  }

  void add_charge_point(const std::string& id, double lat, double lon) {
    auto [code, output] =
        ServerProcess::run({"chargepoint", "add", id, "--password", "lock-test-secret-16", "--lat",
                            fmt::format("{}", lat), "--lon", fmt::format("{}", lon)},
                           env());
    INFO(output);
    REQUIRE(code == 0);
  }

  void start() {
    server = std::make_unique<ServerProcess>(
        std::vector<std::string>{"serve", "--ocpp-listen", "127.0.0.1:0", "--api-listen",
                                 "127.0.0.1:0"},
        env());
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
  CHECK(requested.lock.status == "armed");
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
  CHECK(lock(id).lock.status == "armed");
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
  CHECK(held.lock.status == "engaged");
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
  CHECK(central->locks().release(owner_id, id).lock.status == "engaged");
  CHECK(ext2.serve_until([&] { return lock(id).lock.status == "released"; }));
  CHECK(ext2.calls("DataTransfer", "UnlockVehicle").size() == 1);
  REQUIRE(ext2.calls("UnlockConnector").size() == 1);
  CHECK(ext2.calls("UnlockConnector")[0].payload == R"({"connectorId":1})");
  const auto trail = central->locks().transitions(id);
  CHECK(trail.back().to_status == "released");
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
  CHECK(caught.lock.status == "engaged");
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
}
