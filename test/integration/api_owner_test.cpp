// The owner and telematics endpoints against the real chargelock program:
// owner isolation (403 / 404 / 409), locks (202, pile counts, release),
// notifications (paging, the server-sent-events stream) and the telematics
// low-battery prompt.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "test/support/api_fixture.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kVinA = "1HGCM82633A004352";
constexpr const char* kVinB = "WVWZZZ1JZXW000001";

struct Owners {
  std::string a;  // tokens
  std::string b;
  std::string telematics;
  std::int64_t a_id = 0;
  std::int64_t b_id = 0;
};

Owners make_owners(const ApiFixture& api) {
  Owners owners;
  const auto alice = api.new_owner("Alice");
  const auto bob = api.new_owner("Bob");
  owners.a = alice.token;
  owners.a_id = alice.id;
  owners.b = bob.token;
  owners.b_id = bob.id;
  owners.telematics = api.new_token("telematics", "vehicle cloud");
  // The cards an operator handed out.
  for (const char* tag : {"TAG-A1", "TAG-A2"}) api.assign_tag(tag, alice.id);
  api.assign_tag("TAG-B1", bob.id);
  return owners;
}

std::string report(const std::string& vin, double soc, const std::string& timestamp) {
  return fmt::format(R"({{"vin":"{}","soc":{},"lat":48.1,"lon":11.5,"timestamp":"{}"}})", vin, soc,
                     timestamp);
}

}  // namespace

TEST_CASE("api owner: an owner sees and acts on its own vehicles and locks only") {
  ApiFixture api;
  const Owners owners = make_owners(api);
  auto alice = api.client(owners.a);
  auto bob = api.client(owners.b);
  auto admin = api.admin();
  auto telematics = api.client(owners.telematics);

  auto created = alice->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}","idTags":["TAG-A1"],
      "evccIds":["00:11:22:33:44:55"]}})",
                                                             kVinA));
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(std::string(created.json()["vin"].GetString()) == kVinA);
  CHECK(created.json()["idTags"][0] == "TAG-A1");
  CHECK(created.json()["lastState"].IsNull());

  // Registering again replaces the identifiers: 200.
  auto again =
      alice->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}","idTags":["TAG-A1","TAG-A2"],
                               "evccIds":["00:11:22:33:44:55"]}})",
                                                  kVinA));
  CHECK(again.status == 200);
  CHECK(again.json()["idTags"].Size() == 2);
  CHECK_FALSE(again.json()["verified"].GetBool());

  SECTION("an unverified vehicle cannot be locked (403 saying why); verified, it can") {
    auto refused = alice->post(std::string("/api/v1/vehicles/") + kVinA + "/lock", "");
    CHECK(refused.status == 403);
    CHECK(error_of(refused).find("not verified") != std::string::npos);
    // Owners cannot verify themselves; an unscoped telematics token neither.
    CHECK(alice->post(std::string("/api/v1/vehicles/") + kVinA + "/verify", "").status == 403);
    CHECK(telematics->post(std::string("/api/v1/vehicles/") + kVinA + "/verify", "").status == 403);
    auto verified = admin->post(std::string("/api/v1/vehicles/") + kVinA + "/verify", "");
    INFO(verified.body);
    CHECK(verified.status == 200);
    CHECK(verified.json()["verified"].GetBool());
    CHECK(alice->post(std::string("/api/v1/vehicles/") + kVinA + "/lock", "").status == 202);
  }

  SECTION("a stranger's card is 403 naming it; a second owner's VIN is a claim, not 409") {
    auto tag =
        bob->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}","idTags":["TAG-A2"]}})", kVinB));
    CHECK(tag.status == 403);
    CHECK(error_of(tag).find("TAG-A2") != std::string::npos);
    CHECK(bob->post("/api/v1/vehicles", R"({"vin":"WVWZZZ1JZXW000002","idTags":["NOBODYS"]})")
              .status == 403);
    // Nothing of that was stored for Bob.
    CHECK(bob->get("/api/v1/vehicles").json()["vehicles"].Size() == 0);
    // Bob claims Alice's VIN: stored as his claim; the operator decides.
    CHECK(bob->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}"}})", kVinA)).status == 201);
    auto claims = admin->get(std::string("/api/v1/vehicles/") + kVinA);
    REQUIRE(claims.status == 200);
    CHECK(claims.json()["registrations"].Size() == 2);
    // Two claims: the operator must name the owner.
    CHECK(admin->post(std::string("/api/v1/vehicles/") + kVinA + "/verify", "").status == 409);
    CHECK(admin
              ->post(std::string("/api/v1/vehicles/") + kVinA + "/verify",
                     fmt::format(R"({{"ownerId":{}}})", owners.a_id))
              .status == 200);
    CHECK(bob->post(std::string("/api/v1/vehicles/") + kVinA + "/lock", "").status == 403);
    CHECK(alice->post(std::string("/api/v1/vehicles/") + kVinA + "/lock", "").status == 202);
    // Bob deletes his claim; Alice's lock is kept while active.
    CHECK(bob->del(std::string("/api/v1/vehicles/") + kVinA).status == 204);
    CHECK(alice->del(std::string("/api/v1/vehicles/") + kVinA).status == 409);
  }

  SECTION("bad input is 400") {
    CHECK(bob->post("/api/v1/vehicles", R"({"vin":"1HGCM82633A00435"})").status == 400);
    CHECK(bob->post("/api/v1/vehicles", R"({"vin":"1HGCM82633I004352"})").status == 400);
    CHECK(bob->post("/api/v1/vehicles", R"({"vin":"1HGCM82633A004353","idTags":"x"})").status ==
          400);
    CHECK(bob->post("/api/v1/vehicles", R"({"vin":"1HGCM82633A004353","idTags":[""]})").status ==
          400);
    CHECK(bob->post("/api/v1/vehicles", R"({"vin":"1HGCM82633A004353","color":"red"})").status ==
          400);
    CHECK(bob->post("/api/v1/vehicles", "not json").status == 400);
  }

  SECTION("another owner's vehicle is 403, an unknown one 404") {
    api.verify(kVinA, owners.a_id);
    CHECK(alice->get("/api/v1/vehicles").json()["vehicles"].Size() == 1);
    CHECK(bob->get("/api/v1/vehicles").json()["vehicles"].Size() == 0);
    CHECK(alice->get(std::string("/api/v1/vehicles/") + kVinA).status == 200);
    CHECK(bob->get(std::string("/api/v1/vehicles/") + kVinA).status == 403);
    CHECK(bob->get("/api/v1/vehicles/JH4KA8260MC000000").status == 404);
    CHECK(bob->post(std::string("/api/v1/vehicles/") + kVinA + "/lock", "{}").status == 403);
    CHECK(bob->post("/api/v1/vehicles/JH4KA8260MC000000/lock", "{}").status == 404);
  }

  SECTION("another owner's lock does not exist for him (404)") {
    api.verify(kVinA, owners.a_id);
    auto lock = alice->post(std::string("/api/v1/vehicles/") + kVinA + "/lock", "");
    REQUIRE(lock.status == 202);
    const std::string id = string_member(lock, "lockId");
    CHECK(alice->get("/api/v1/locks/" + id).status == 200);
    CHECK(bob->get("/api/v1/locks/" + id).status == 404);
    CHECK(bob->post("/api/v1/locks/" + id + "/release", "").status == 404);
    CHECK(bob->get("/api/v1/locks/no-such-lock").status == 404);
    CHECK(bob->get("/api/v1/locks").json()["locks"].Size() == 0);
    CHECK(alice->get("/api/v1/locks").json()["locks"].Size() == 1);
    // Still active: Bob's attempt changed nothing.
    CHECK(std::string(alice->get("/api/v1/locks/" + id).json()["status"].GetString()) !=
          "cancelled");
  }

  SECTION("other roles may not use the owner endpoints, nor owners the others") {
    CHECK(admin->get("/api/v1/vehicles").status == 403);
    CHECK(admin->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}"}})", kVinB)).status == 403);
    CHECK(admin->post(std::string("/api/v1/vehicles/") + kVinA + "/lock", "{}").status == 403);
    CHECK(telematics->get("/api/v1/vehicles").status == 403);
    CHECK(alice->post("/api/v1/telematics/status", report(kVinA, 50, "2024-05-01T12:00:00Z"))
              .status == 403);
    CHECK(alice->get("/api/v1/chargepoints").status == 403);
    CHECK(alice->post("/api/v1/owners", R"({"name":"Eve"})").status == 403);
    CHECK(api.client()->get("/api/v1/vehicles").status == 401);
    CHECK(api.client("clk_wrong")->get("/api/v1/notifications/stream").status == 401);
  }
}

TEST_CASE("api owner: a lock request is answered 202 and shows its piles, release cancels it") {
  ApiFixture api;
  const Owners owners = make_owners(api);
  auto admin = api.admin();
  auto alice = api.client(owners.a);
  // Two piles (offline: their LockVehicle commands wait in the queue).
  REQUIRE(
      admin
          ->post("/api/v1/chargepoints", R"({"id":"CP-NEAR","location":{"lat":48.10,"lon":11.50}})")
          .status == 201);
  REQUIRE(
      admin->post("/api/v1/chargepoints", R"({"id":"CP-FAR","location":{"lat":52.52,"lon":13.40}})")
          .status == 201);
  REQUIRE(
      alice->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}","idTags":["TAG-A1"]}})", kVinA))
          .status == 201);
  api.verify(kVinA, owners.a_id);
  const std::string lock_path = std::string("/api/v1/vehicles/") + kVinA + "/lock";

  SECTION("every pile by default; a second request returns the same lock") {
    auto lock = alice->post(lock_path, "{}");
    INFO(lock.body);
    REQUIRE(lock.status == 202);
    const std::string id = string_member(lock, "lockId");
    CHECK(lock.header("location") == "/api/v1/locks/" + id);
    auto body = lock.json();
    const std::string status = body["status"].GetString();
    CHECK((status == "requested" || status == "armed"));
    CHECK(body["chargePointId"].IsNull());
    CHECK(body["connectorId"].IsNull());
    CHECK(body["piles"]["pending"].GetInt() == 2);
    CHECK(body["piles"]["armed"].GetInt() == 0);
    CHECK(body["piles"]["unsupported"].GetInt() == 0);

    auto second = alice->post(lock_path, R"({"scope":{"radiusKm":10,"lat":48.1,"lon":11.5}})");
    CHECK(second.status == 202);
    CHECK(string_member(second, "lockId") == id);
    CHECK(second.header("idempotent-replayed") == "true");

    auto read = alice->get("/api/v1/locks/" + id);
    REQUIRE(read.status == 200);
    auto view = read.json();
    CHECK(view["piles"]["pending"].GetInt() == 2);
    REQUIRE(view["transitions"].IsArray());
    REQUIRE(view["transitions"].Size() >= 1);
    CHECK(view["transitions"][0]["from"].IsNull());
    CHECK(view["transitions"][0]["cause"].IsString());
    CHECK_FALSE(view.HasMember("pileStates"));  // paged apart: the summary stays small
    // The per-pile states, paged by charge point id.
    auto first_page = alice->get("/api/v1/locks/" + id + "/piles?limit=1").json();
    REQUIRE(first_page["piles"].Size() == 1);
    CHECK(first_page["piles"][0]["chargePointId"] == "CP-FAR");
    CHECK(first_page["piles"][0]["status"] == "pending");
    const std::string next = first_page["nextAfter"].GetString();
    auto second_page = alice->get("/api/v1/locks/" + id + "/piles?limit=1&after=" + next).json();
    REQUIRE(second_page["piles"].Size() == 1);
    CHECK(second_page["piles"][0]["chargePointId"] == "CP-NEAR");
    CHECK(alice->get("/api/v1/locks/" + id + "/piles?status=armed").json()["piles"].Size() == 0);
    CHECK(alice->get("/api/v1/locks/" + id + "/piles?status=nope").status == 400);
    CHECK(alice->get("/api/v1/locks/" + id + "/piles?limit=0").status == 400);

    // Before a catch, release cancels.
    auto released = alice->post("/api/v1/locks/" + id + "/release", "");
    INFO(released.body);
    REQUIRE(released.status == 202);
    CHECK(std::string(released.json()["status"].GetString()) == "cancelled");
    auto after = alice->get("/api/v1/locks/" + id).json();
    CHECK(std::string(after["status"].GetString()) == "cancelled");
    const auto& transitions = after["transitions"];
    CHECK(std::string(transitions[transitions.Size() - 1]["to"].GetString()) == "cancelled");
    // Releasing again changes nothing.
    CHECK(alice->post("/api/v1/locks/" + id + "/release", "").status == 202);

    // A new request after the cancel creates a new lock.
    auto fresh = alice->post(lock_path, "");
    REQUIRE(fresh.status == 202);
    CHECK(string_member(fresh, "lockId") != id);
    CHECK(fresh.header("idempotent-replayed").empty());
  }

  SECTION("a radius around a given point arms only the piles inside") {
    auto lock = alice->post(lock_path, R"({"scope":{"radiusKm":25,"lat":48.1,"lon":11.5}})");
    INFO(lock.body);
    REQUIRE(lock.status == 202);
    auto body = lock.json();
    CHECK(body["piles"]["pending"].GetInt() == 1);
    CHECK(body["scope"]["radiusKm"].GetDouble() == Approx(25));
    auto piles = alice->get("/api/v1/locks/" + string_member(lock, "lockId") + "/piles").json();
    REQUIRE(piles["piles"].Size() == 1);
    CHECK(piles["piles"][0]["chargePointId"] == "CP-NEAR");
    CHECK(piles["nextAfter"].IsNull());
  }

  SECTION("bad scopes are 400") {
    CHECK(alice->post(lock_path, R"({"scope":{"radiusKm":-1}})").status == 400);
    CHECK(alice->post(lock_path, R"({"scope":{"radiusKm":5,"lat":48.1}})").status == 400);
    CHECK(alice->post(lock_path, R"({"scope":{"lat":48.1,"lon":11.5}})").status == 400);
    CHECK(alice->post(lock_path, R"({"scope":{"radiusKm":5,"lat":91,"lon":0}})").status == 400);
    // No position known and no center given.
    auto unknown = alice->post(lock_path, R"({"scope":{"radiusKm":5}})");
    CHECK(unknown.status == 400);
    CHECK(alice->post(lock_path, R"({"everywhere":true})").status == 400);
  }
}

TEST_CASE("api telematics: a platform token is scoped to its VINs and confirms their owners") {
  ApiFixture api;
  const Owners owners = make_owners(api);
  auto admin = api.admin();
  auto alice = api.client(owners.a);
  REQUIRE(alice->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}"}})", kVinA)).status == 201);
  REQUIRE(alice->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}"}})", kVinB)).status == 201);
  auto created = admin->post("/api/v1/tokens", fmt::format(R"({{"role":"telematics","name":"oem",
      "vins":["{}"]}})",
                                                           kVinA));
  REQUIRE(created.status == 201);
  auto oem = api.client(string_member(created, "token"));
  // Bad scopes are refused.
  CHECK(
      admin->post("/api/v1/tokens", R"({"role":"telematics","name":"x","vins":["nope"]})").status ==
      400);
  CHECK(admin->post("/api/v1/tokens", R"({"role":"operator","name":"x","vins":[]})").status == 400);

  const std::string now = "2024-05-01T12:00:00Z";
  CHECK(oem->post("/api/v1/telematics/status", report(kVinA, 50, now)).status == 202);
  auto outside = oem->post("/api/v1/telematics/status", report(kVinB, 50, now));
  CHECK(outside.status == 403);
  CHECK(error_of(outside).find(kVinB) != std::string::npos);
  // A report from the future would hide every later one: 400.
  auto future = oem->post("/api/v1/telematics/status", report(kVinA, 50, "2999-01-01T00:00:00Z"));
  CHECK(future.status == 400);
  // The platform confirms its own VIN's owner, not another's.
  CHECK(oem->post(std::string("/api/v1/vehicles/") + kVinB + "/verify", "").status == 403);
  auto verified = oem->post(std::string("/api/v1/vehicles/") + kVinA + "/verify", "");
  INFO(verified.body);
  REQUIRE(verified.status == 200);
  CHECK(std::string(verified.json()["verifiedBy"].GetString()) == "telematics:oem");
  CHECK(alice->post(std::string("/api/v1/vehicles/") + kVinA + "/lock", "").status == 202);
  CHECK(alice->post(std::string("/api/v1/vehicles/") + kVinB + "/lock", "").status == 403);
}

TEST_CASE("api telematics: reports are stored, one low-battery prompt below the threshold") {
  ApiFixture api;
  const Owners owners = make_owners(api);
  auto alice = api.client(owners.a);
  auto telematics = api.client(owners.telematics);
  REQUIRE(alice->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}"}})", kVinA)).status == 201);
  api.verify(kVinA, owners.a_id);

  const auto post = [&](double soc, const std::string& at) {
    auto result = telematics->post("/api/v1/telematics/status", report(kVinA, soc, at));
    INFO(result.body);
    REQUIRE(result.status == 202);
    return result.json()["lowBatteryPrompt"].GetBool();
  };
  CHECK_FALSE(post(50, "2024-05-01T12:00:00Z"));
  CHECK(post(19.5, "2024-05-01T12:01:00Z"));      // below 20 %: the prompt
  CHECK_FALSE(post(15, "2024-05-01T12:02:00Z"));  // only one
  CHECK_FALSE(post(10, "2024-05-01T12:03:00Z"));

  auto vehicle = alice->get(std::string("/api/v1/vehicles/") + kVinA).json();
  CHECK(vehicle["lastState"]["soc"].GetDouble() == Approx(10));
  CHECK(vehicle["lastState"]["location"]["lat"].GetDouble() == Approx(48.1));

  // An older report is accepted but not stored.
  auto old =
      telematics->post("/api/v1/telematics/status", report(kVinA, 90, "2024-05-01T11:00:00Z"));
  CHECK(old.status == 202);
  CHECK(old.json()["stored"].GetBool() == false);

  auto listed = alice->get("/api/v1/notifications");
  REQUIRE(listed.status == 200);
  auto page = listed.json();
  REQUIRE(page["notifications"].Size() == 1);
  const auto& prompt = page["notifications"][0];
  CHECK(prompt["kind"] == "low_battery");
  CHECK(prompt["body"]["vin"] == kVinA);
  CHECK(prompt["body"]["offersLock"].GetBool());

  // Above the threshold re-arms the prompt; below again prompts again.
  CHECK_FALSE(post(60, "2024-05-01T13:00:00Z"));
  CHECK(post(12, "2024-05-01T13:30:00Z"));

  SECTION("bad reports") {
    const auto status = [&](const std::string& body) {
      return telematics->post("/api/v1/telematics/status", body).status;
    };
    CHECK(status(report("JH4KA8260MC000000", 50, "2024-05-01T12:00:00Z")) == 404);
    CHECK(status(report("NOT-A-VIN", 50, "2024-05-01T12:00:00Z")) == 400);
    CHECK(status(report(kVinA, 101, "2024-05-01T12:00:00Z")) == 400);
    CHECK(status(report(kVinA, -1, "2024-05-01T12:00:00Z")) == 400);
    CHECK(status(report(kVinA, 50, "yesterday")) == 400);
    CHECK(status(fmt::format(R"({{"vin":"{}","soc":50}})", kVinA)) == 400);
    CHECK(status(fmt::format(
              R"({{"vin":"{}","soc":50,"lat":1,"timestamp":"2024-05-01T12:00:00Z"}})", kVinA)) ==
          400);
    CHECK(status(fmt::format(R"({{"vin":"{}","soc":"50","timestamp":"2024-05-01T12:00:00Z"}})",
                             kVinA)) == 400);
    CHECK(status("[]") == 400);
  }
}

TEST_CASE("api owner: notifications are paged with a since-cursor") {
  ApiFixture api;
  const Owners owners = make_owners(api);
  auto alice = api.client(owners.a);
  auto bob = api.client(owners.b);
  auto telematics = api.client(owners.telematics);
  REQUIRE(alice->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}"}})", kVinA)).status == 201);
  api.verify(kVinA, owners.a_id);
  // Three prompts: low, high (re-arm), low, ...
  for (int i = 0; i < 3; ++i) {
    const std::string low = fmt::format("2024-05-01T1{}:00:00Z", i);
    const std::string high = fmt::format("2024-05-01T1{}:30:00Z", i);
    REQUIRE(telematics->post("/api/v1/telematics/status", report(kVinA, 10, low)).status == 202);
    REQUIRE(telematics->post("/api/v1/telematics/status", report(kVinA, 80, high)).status == 202);
  }
  auto first = alice->get("/api/v1/notifications?limit=2").json();
  REQUIRE(first["notifications"].Size() == 2);
  CHECK(first["hasMore"].GetBool());
  const std::int64_t cursor = first["nextSince"].GetInt64();
  CHECK(cursor == first["notifications"][1]["id"].GetInt64());
  CHECK(first["notifications"][0]["id"].GetInt64() < cursor);

  auto rest = alice->get("/api/v1/notifications?since=" + std::to_string(cursor)).json();
  REQUIRE(rest["notifications"].Size() == 1);
  CHECK(rest["notifications"][0]["id"].GetInt64() > cursor);
  CHECK_FALSE(rest["hasMore"].GetBool());
  const std::int64_t end = rest["nextSince"].GetInt64();
  auto none = alice->get("/api/v1/notifications?since=" + std::to_string(end)).json();
  CHECK(none["notifications"].Size() == 0);
  CHECK(none["nextSince"].GetInt64() == end);  // poll again from the same place

  CHECK(bob->get("/api/v1/notifications").json()["notifications"].Size() == 0);
  CHECK(alice->get("/api/v1/notifications?since=-1").status == 400);
  CHECK(alice->get("/api/v1/notifications?limit=0").status == 400);
}

TEST_CASE("api owner: the notification stream pushes new notifications as server-sent events") {
  ApiFixture api;
  const Owners owners = make_owners(api);
  auto alice = api.client(owners.a);
  auto telematics = api.client(owners.telematics);
  REQUIRE(alice->post("/api/v1/vehicles", fmt::format(R"({{"vin":"{}"}})", kVinA)).status == 201);
  api.verify(kVinA, owners.a_id);
  // An older notification: not replayed to a stream opened without a cursor.
  REQUIRE(telematics->post("/api/v1/telematics/status", report(kVinA, 5, "2024-05-01T10:00:00Z"))
              .status == 202);
  REQUIRE(telematics->post("/api/v1/telematics/status", report(kVinA, 90, "2024-05-01T10:30:00Z"))
              .status == 202);

  HttpTestClient stream(api.port(), owners.a);
  auto opened = stream.open_stream("/api/v1/notifications/stream?heartbeat=1");
  REQUIRE(opened.status == 200);
  CHECK(opened.header("content-type").find("text/event-stream") == 0);
  CHECK(opened.header("content-length").empty());
  REQUIRE(stream.read_stream_until(": connected", 5s));

  // Bob's stream sees nothing of Alice's.
  HttpTestClient bob_stream(api.port(), owners.b);
  REQUIRE(bob_stream.open_stream("/api/v1/notifications/stream").status == 200);
  REQUIRE(bob_stream.read_stream_until(": connected", 5s));

  // The API stays responsive while streams are open.
  CHECK(alice->get("/api/v1/vehicles").status == 200);

  const auto before = std::chrono::steady_clock::now();
  REQUIRE(telematics->post("/api/v1/telematics/status", report(kVinA, 15, "2024-05-01T11:00:00Z"))
              .status == 202);
  INFO(stream.stream_text());
  REQUIRE(stream.read_stream_until("event: low_battery", 10s));
  CHECK(std::chrono::steady_clock::now() - before < 5s);  // pushed, not found by a slow poll
  const std::string& text = stream.stream_text();
  const auto event = text.find("event: low_battery");
  CHECK(text.rfind("id: ", event) != std::string::npos);
  const auto data = text.find("data: ", event);
  REQUIRE(data != std::string::npos);
  rapidjson::Document payload;
  payload.Parse(text.substr(data + 6, text.find('\n', data) - data - 6).c_str());
  REQUIRE(payload.IsObject());
  CHECK(payload["kind"] == "low_battery");
  CHECK(payload["body"]["soc"].GetDouble() == Approx(15));
  // Exactly one event: the earlier notification was not replayed.
  CHECK(text.find("event:") == event);
  CHECK(text.find("event:", event + 1) == std::string::npos);

  // Heartbeat comments keep the stream alive.
  CHECK(stream.read_stream_until(": heartbeat", 5s));
  CHECK_FALSE(bob_stream.read_stream_until("event:", 1500ms));

  // Reconnecting with Last-Event-ID 0 replays everything missed.
  HttpTestClient replay(api.port(), owners.a);
  REQUIRE(replay.open_stream("/api/v1/notifications/stream?heartbeat=1", {{"Last-Event-ID", "0"}})
              .status == 200);
  // The backlog comes before the first heartbeat.
  REQUIRE(replay.read_stream_until(": heartbeat", 5s));
  const std::string replayed = replay.stream_text();
  const auto first_event = replayed.find("event: low_battery");
  CHECK(replayed.find("event: low_battery", first_event + 1) != std::string::npos);  // both

  // Closing streams does not disturb the server.
  stream.close_stream();
  bob_stream.close_stream();
  replay.close_stream();
  CHECK(alice->get("/api/v1/notifications").status == 200);
  CHECK(api.client(owners.telematics)->get("/api/v1/notifications/stream").status == 403);
}
