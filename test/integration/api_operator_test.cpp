// The operator endpoints of the REST API against the real chargelock
// program: happy paths and the errors a client sees (400, 404, 405, 409,
// 413), plus robustness against garbage and many keep-alive connections.
#include <catch2/catch.hpp>
#include <thread>

#include "core/central_system.h"
#include "core/stores/message_log_store.h"
#include "test/support/api_fixture.h"

using namespace chargelock;
using namespace chargelock::test;

TEST_CASE("api: charge points can be registered, listed, read, updated and removed") {
  ApiFixture api;
  auto admin = api.admin();

  auto created = admin->post(
      "/api/v1/chargepoints",
      R"({"id":"CP-1","password":"secret-password-1","location":{"lat":48.1,"lon":11.5}})");
  REQUIRE(created.status == 201);
  auto body = created.json();
  CHECK(std::string(body["id"].GetString()) == "CP-1");
  CHECK(body["securityProfile"].GetInt() == 1);  // the default
  CHECK(std::string(body["registrationStatus"].GetString()) == "Accepted");
  CHECK(body["location"]["lat"].GetDouble() == Approx(48.1));
  CHECK(body["online"].GetBool() == false);
  CHECK(body["connectors"].IsArray());
  CHECK(created.body.find("secret-password-1") == std::string::npos);
  CHECK(created.header("location") == "/api/v1/chargepoints/CP-1");

  auto second = admin->post("/api/v1/chargepoints",
                            R"({"id":"CP-2","securityProfile":2,"registrationStatus":"Pending"})");
  REQUIRE(second.status == 201);
  CHECK(second.json()["securityProfile"].GetInt() == 2);

  auto duplicate = admin->post("/api/v1/chargepoints", R"({"id":"CP-1"})");
  CHECK(duplicate.status == 409);
  CHECK_FALSE(error_of(duplicate).empty());

  auto listed = admin->get("/api/v1/chargepoints");
  REQUIRE(listed.status == 200);
  auto list = listed.json();
  REQUIRE(list["chargePoints"].Size() == 2);
  CHECK(std::string(list["chargePoints"][0]["id"].GetString()) == "CP-1");

  auto updated = admin->put("/api/v1/chargepoints/CP-2",
                            R"({"registrationStatus":"Accepted","location":{"lat":1,"lon":2}})");
  REQUIRE(updated.status == 200);
  CHECK(std::string(updated.json()["registrationStatus"].GetString()) == "Accepted");
  CHECK(updated.json()["location"]["lon"].GetDouble() == Approx(2));
  auto cleared = admin->put("/api/v1/chargepoints/CP-2", R"({"location":null})");
  CHECK(cleared.json()["location"].IsNull());

  auto read = admin->get("/api/v1/chargepoints/CP-2");
  REQUIRE(read.status == 200);
  CHECK(read.json()["location"].IsNull());

  CHECK(admin->del("/api/v1/chargepoints/CP-2").status == 204);
  CHECK(admin->get("/api/v1/chargepoints/CP-2").status == 404);
  CHECK(admin->del("/api/v1/chargepoints/CP-2").status == 404);
  CHECK(admin->put("/api/v1/chargepoints/NOPE", R"({"securityProfile":1})").status == 404);
}

TEST_CASE("api: the charge point list is paged by id with limit and after") {
  ApiFixture api;
  auto admin = api.admin();
  for (const char* id : {"CP-C", "CP-A", "CP-E", "CP-B", "CP-D"})
    REQUIRE(admin->post("/api/v1/chargepoints", std::string(R"({"id":")") + id + R"("})").status ==
            201);
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    auto page =
        admin->get("/api/v1/chargepoints?limit=2" + (after.empty() ? "" : "&after=" + after));
    REQUIRE(page.status == 200);
    auto body = page.json();
    ++pages;
    for (const auto& cp : body["chargePoints"].GetArray()) {
      seen.emplace_back(cp["id"].GetString());
      CHECK(cp["connectors"].IsArray());
    }
    if (body["nextAfter"].IsNull()) break;
    after = body["nextAfter"].GetString();
    REQUIRE(pages < 10);
  }
  CHECK(seen == std::vector<std::string>{"CP-A", "CP-B", "CP-C", "CP-D", "CP-E"});
  CHECK(pages == 3);
  // Without a limit: the first 100, and no further page here.
  auto all = admin->get("/api/v1/chargepoints").json();
  CHECK(all["chargePoints"].Size() == 5);
  CHECK(all["nextAfter"].IsNull());
  // A full last page still names its cursor; the page after it is empty.
  auto exact = admin->get("/api/v1/chargepoints?limit=5").json();
  REQUIRE(exact["nextAfter"].IsString());
  auto beyond =
      admin->get(std::string("/api/v1/chargepoints?after=") + exact["nextAfter"].GetString())
          .json();
  CHECK(beyond["chargePoints"].Size() == 0);
  CHECK(beyond["nextAfter"].IsNull());
  auto bad = admin->get("/api/v1/chargepoints?limit=0");
  CHECK(bad.status == 400);
  CHECK(error_of(bad).find("limit") != std::string::npos);
}

TEST_CASE("api: bad charge point input is refused with 400 naming the field") {
  ApiFixture api;
  auto admin = api.admin();
  const auto refused = [&](const std::string& body, const std::string& field) {
    auto result = admin->post("/api/v1/chargepoints", body);
    INFO(body << " -> " << result.status << " " << result.body);
    CHECK(result.status == 400);
    CHECK(error_of(result).find(field) != std::string::npos);
  };
  refused(R"({"password":"x"})", "id");
  refused(R"({"id":42})", "id");
  refused(R"({"id":"A","securityProfile":4})", "securityProfile");
  refused(R"({"id":"A","securityProfile":"1"})", "securityProfile");
  refused(R"({"id":"A","location":{"lat":91,"lon":0}})", "lat");
  refused(R"({"id":"A","location":{"lat":1}})", "lon");
  refused(R"({"id":"A","registrationStatus":"Maybe"})", "registrationStatus");
  refused(R"({"id":"A","colour":"red"})", "colour");
  refused(R"({"id":"A/B"})", "id");
  // Pile passwords: at least 16 characters, through the API and the CLI.
  refused(R"({"id":"A","password":"fifteen-chars-x"})", "password must be at least 16 characters");
  refused(R"({"id":"A","password":""})", "password must be at least 16 characters");
  REQUIRE(
      admin->post("/api/v1/chargepoints", R"({"id":"B","password":"sixteen-chars-xx"})").status ==
      201);
  auto short_update = admin->put("/api/v1/chargepoints/B", R"({"password":"short"})");
  CHECK(short_update.status == 400);
  CHECK(error_of(short_update).find("at least 16 characters") != std::string::npos);
  const auto [exit_code, output] = ServerProcess::run(
      {"chargepoint", "add", "CP-SHORT", "--password", "fifteen-chars-x"}, api.env());
  CHECK(exit_code != 0);
  CHECK(output.find("at least 16 characters") != std::string::npos);
  CHECK(admin->get("/api/v1/chargepoints/CP-SHORT").status == 404);
  CHECK(admin->del("/api/v1/chargepoints/B").status == 204);

  auto malformed = admin->post("/api/v1/chargepoints", R"({"id":"A",)");
  CHECK(malformed.status == 400);
  CHECK(error_of(malformed).find("JSON") != std::string::npos);
  CHECK(admin->post("/api/v1/chargepoints", "[1,2]").status == 400);
  CHECK(admin->post("/api/v1/chargepoints", "").status == 400);
  CHECK(admin->post("/api/v1/chargepoints", std::string(100, '[')).status == 400);
  CHECK(admin->get("/api/v1/chargepoints").json()["chargePoints"].Size() == 0);
}

TEST_CASE("api: oversized bodies get 413, unknown paths 404, wrong methods 405") {
  ApiFixture api;
  auto admin = api.admin();

  std::string big = R"({"idTag":"T","padding":")" + std::string(1100 * 1024, 'x') + "\"}";
  auto too_big = admin->post("/api/v1/idtags", big);
  CHECK(too_big.status == 413);
  CHECK_FALSE(error_of(too_big).empty());
  // The connection (or a new one) still works afterwards.
  CHECK(admin->get("/api/v1/idtags").status == 200);

  auto huge = admin->request("POST", "/api/v1/idtags", "{}",
                             {{"Content-Length", std::to_string(1LL << 40)}});
  CHECK((huge.status == 413 || huge.status == 0));

  auto unknown = admin->get("/api/v1/nothing/here");
  CHECK(unknown.status == 404);
  CHECK_FALSE(error_of(unknown).empty());
  CHECK(admin->get("/elsewhere").status == 404);

  auto method = admin->request("PATCH", "/api/v1/chargepoints", "{}");
  CHECK(method.status == 405);
  CHECK(method.header("allow").find("GET") != std::string::npos);
  CHECK_FALSE(error_of(method).empty());
}

TEST_CASE("api: id tags can be created, blocked, expired, given a parent and removed") {
  ApiFixture api;
  auto admin = api.admin();

  auto created = admin->post("/api/v1/idtags", R"({"idTag":"TAG-1"})");
  REQUIRE(created.status == 201);
  CHECK(std::string(created.json()["status"].GetString()) == "Accepted");
  CHECK(admin->post("/api/v1/idtags", R"({"idTag":"TAG-1"})").status == 409);
  CHECK(admin->post("/api/v1/idtags", R"({"idTag":"PARENT","status":"Accepted"})").status == 201);

  auto blocked = admin->put("/api/v1/idtags/TAG-1",
                            R"({"status":"Blocked","expiryDate":"2030-01-01T00:00:00Z",)"
                            R"("parentIdTag":"PARENT"})");
  REQUIRE(blocked.status == 200);
  auto tag = admin->get("/api/v1/idtags/TAG-1").json();
  CHECK(std::string(tag["status"].GetString()) == "Blocked");
  CHECK(std::string(tag["expiryDate"].GetString()) == "2030-01-01T00:00:00Z");
  CHECK(std::string(tag["parentIdTag"].GetString()) == "PARENT");

  auto unparented = admin->put("/api/v1/idtags/TAG-1", R"({"parentIdTag":null})");
  CHECK(unparented.json()["parentIdTag"].IsNull());
  CHECK(std::string(unparented.json()["status"].GetString()) == "Blocked");

  CHECK(admin->get("/api/v1/idtags").json()["idTags"].Size() == 2);
  CHECK(admin->post("/api/v1/idtags", R"({"idTag":"X","status":"Lost"})").status == 400);
  CHECK(admin->post("/api/v1/idtags", R"({"idTag":"123456789012345678901"})").status == 400);
  auto bad_date = admin->post("/api/v1/idtags", R"({"idTag":"X","expiryDate":"tomorrow"})");
  CHECK(bad_date.status == 400);
  CHECK(error_of(bad_date).find("expiryDate") != std::string::npos);
  CHECK(admin->put("/api/v1/idtags/NOPE", R"({"status":"Blocked"})").status == 404);
  CHECK(admin->del("/api/v1/idtags/TAG-1").status == 204);
  CHECK(admin->get("/api/v1/idtags/TAG-1").status == 404);
  CHECK(admin->del("/api/v1/idtags/TAG-1").status == 404);
}

TEST_CASE("api: transactions are listed per charge point and read with their meter values") {
  ApiFixture api;
  auto admin = api.admin();
  REQUIRE(admin->post("/api/v1/chargepoints", R"({"id":"CP-T"})").status == 201);
  REQUIRE(admin->post("/api/v1/chargepoints", R"({"id":"CP-U"})").status == 201);

  // What piles would have reported, recorded through core.
  core::CentralSystemConfig config;
  config.message_log = false;
  core::CentralSystem central(api.database.db(), config);
  core::StartTransactionRequest start;
  start.connector_id = 1;
  start.id_tag = "TAG";
  start.meter_start = 1000;
  start.timestamp = core::Clock::now();
  const int id = central.transactions().start("CP-T", start).transaction_id;
  core::MeterValuesRequest values;
  values.connector_id = 1;
  values.transaction_id = id;
  core::MeterValue value;
  value.timestamp = core::Clock::now();
  value.sampled_values.push_back({"1500", {}, {}, {}, {}, {}, std::string("Wh")});
  values.meter_values.push_back(value);
  central.transactions().meter_values("CP-T", values);
  core::StopTransactionRequest stop;
  stop.transaction_id = id;
  stop.meter_stop = 2500;
  stop.timestamp = core::Clock::now();
  central.transactions().stop("CP-T", stop);
  start.timestamp = core::Clock::now();
  central.transactions().start("CP-U", start);

  auto all = admin->get("/api/v1/transactions");
  REQUIRE(all.status == 200);
  CHECK(all.json()["transactions"].Size() == 2);
  auto mine = admin->get("/api/v1/transactions?chargePointId=CP-T");
  REQUIRE(mine.json()["transactions"].Size() == 1);
  CHECK(mine.json()["transactions"][0]["id"].GetInt() == id);
  auto paged = admin->get("/api/v1/transactions?limit=1");
  REQUIRE(paged.json()["transactions"].Size() == 1);
  CHECK(paged.json()["nextBefore"].IsInt64());

  auto one = admin->get("/api/v1/transactions/" + std::to_string(id));
  REQUIRE(one.status == 200);
  auto tx = one.json();
  CHECK(tx["meterStart"].GetInt() == 1000);
  CHECK(tx["meterStop"].GetInt() == 2500);
  CHECK(tx["energyWh"].GetInt() == 1500);
  CHECK(tx["active"].GetBool() == false);
  REQUIRE(tx["meterValues"].Size() == 1);
  CHECK(std::string(tx["meterValues"][0]["value"].GetString()) == "1500");
  CHECK(std::string(tx["meterValues"][0]["unit"].GetString()) == "Wh");

  CHECK(admin->get("/api/v1/transactions/999999").status == 404);
  CHECK(admin->get("/api/v1/transactions/abc").status == 404);
  CHECK(admin->get("/api/v1/transactions?limit=0").status == 400);
}

TEST_CASE("api: the message log of a charge point is paged with before/after cursors") {
  ApiFixture api;
  auto admin = api.admin();
  REQUIRE(admin->post("/api/v1/chargepoints", R"({"id":"CP-M"})").status == 201);
  std::vector<core::LoggedFrame> frames;
  for (int i = 0; i < 5; ++i) {
    core::LoggedFrame frame;
    frame.charge_point_id = "CP-M";
    frame.direction = i % 2 ? core::FrameDirection::Outgoing : core::FrameDirection::Incoming;
    frame.frame = "[2,\"" + std::to_string(i) + "\",\"Heartbeat\",{}]";
    frame.received_at = core::Clock::now();
    frames.push_back(frame);
  }
  api.database.db().message_log().append(frames);

  auto newest = admin->get("/api/v1/chargepoints/CP-M/messages?limit=2");
  REQUIRE(newest.status == 200);
  auto page = newest.json();
  REQUIRE(page["messages"].Size() == 2);
  CHECK(std::string(page["messages"][0]["frame"].GetString()) == frames[4].frame);
  CHECK(std::string(page["messages"][0]["direction"].GetString()) == "in");
  const auto before = page["nextBefore"].GetInt64();

  auto older =
      admin->get("/api/v1/chargepoints/CP-M/messages?limit=10&before=" + std::to_string(before));
  CHECK(older.json()["messages"].Size() == 3);
  CHECK(older.json()["nextBefore"].IsNull());

  const auto first_id = older.json()["messages"][2]["id"].GetInt64();
  auto forward = admin->get("/api/v1/chargepoints/CP-M/messages?after=" + std::to_string(first_id) +
                            "&limit=2");
  auto forward_page = forward.json();
  REQUIRE(forward_page["messages"].Size() == 2);
  CHECK(std::string(forward_page["messages"][0]["frame"].GetString()) == frames[1].frame);
  CHECK(forward_page["nextAfter"].IsInt64());

  CHECK(admin->get("/api/v1/chargepoints/CP-M/messages?before=1&after=1").status == 400);
  CHECK(admin->get("/api/v1/chargepoints/NOPE/messages").status == 404);
}

TEST_CASE("api: commands are queued for a pile, validated, idempotent and listed") {
  ApiFixture api;
  auto admin = api.admin();
  REQUIRE(admin->post("/api/v1/chargepoints", R"({"id":"CP-C"})").status == 201);

  auto queued = admin->request("POST", "/api/v1/chargepoints/CP-C/commands",
                               R"({"action":"Reset","payload":{"type":"Soft"}})",
                               {{"Idempotency-Key", "reset-1"}});
  REQUIRE(queued.status == 202);
  const auto command_id = queued.json()["commandId"].GetInt64();
  auto again = admin->request("POST", "/api/v1/chargepoints/CP-C/commands",
                              R"({"action":"Reset","payload":{"type":"Soft"}})",
                              {{"Idempotency-Key", "reset-1"}});
  REQUIRE(again.status == 202);
  CHECK(again.json()["commandId"].GetInt64() == command_id);

  auto read = admin->get("/api/v1/commands/" + std::to_string(command_id));
  REQUIRE(read.status == 200);
  CHECK(std::string(read.json()["status"].GetString()) == "queued");
  CHECK(std::string(read.json()["action"].GetString()) == "Reset");
  CHECK(read.json()["response"].IsNull());

  auto bad_field = admin->post("/api/v1/chargepoints/CP-C/commands",
                               R"({"action":"Reset","payload":{"type":"Medium"}})");
  CHECK(bad_field.status == 400);
  CHECK(error_of(bad_field).find("type") != std::string::npos);
  auto missing = admin->post("/api/v1/chargepoints/CP-C/commands",
                             R"({"action":"UnlockConnector","payload":{}})");
  CHECK(missing.status == 400);
  CHECK(error_of(missing).find("connectorId") != std::string::npos);
  CHECK(admin->post("/api/v1/chargepoints/CP-C/commands", R"({"action":"Heartbeat"})").status ==
        400);
  CHECK(admin->post("/api/v1/chargepoints/CP-C/commands", R"({"payload":{}})").status == 400);
  CHECK(admin->post("/api/v1/chargepoints/CP-C/commands", R"({"action":"Reset","payload":[1]})")
            .status == 400);
  CHECK(admin
            ->post("/api/v1/chargepoints/NOPE/commands",
                   R"({"action":"Reset","payload":{"type":"Hard"}})")
            .status == 404);
  CHECK(admin->post("/api/v1/chargepoints/CP-C/commands", R"({"action":"ClearCache"})").status ==
        202);

  auto listed = admin->get("/api/v1/commands?chargePointId=CP-C&status=queued");
  REQUIRE(listed.status == 200);
  CHECK(listed.json()["commands"].Size() == 2);
  CHECK(admin->get("/api/v1/commands?status=completed").json()["commands"].Size() == 0);
  CHECK(admin->get("/api/v1/commands?status=bogus").status == 400);
  CHECK(admin->get("/api/v1/commands/987654").status == 404);
}

TEST_CASE("api: garbage on the wire and many keep-alive clients do not hurt the server") {
  // 320 requests at once on one token: the per-token rate limit (its own
  // test: api_limits_test) is off here, this is about the HTTP server.
  ApiFixture api("api", {"--api-token-rate", "0"});
  {
    HttpTestClient raw(api.port());
    raw.timeout = std::chrono::milliseconds(3000);
    raw.raw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));  // a TLS hello
    raw.raw("NOT-HTTP\r\n\r\n");
    raw.raw("GET /api/v1/chargepoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            std::string(20000, 'a') + "\r\n\r\n");
    auto chunked = raw.raw(
        "POST /api/v1/owners HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n");
    CHECK((chunked.status == 411 || chunked.status == 400 || chunked.status == 0));
  }

  constexpr int kClients = 16;
  constexpr int kRequests = 20;
  std::vector<int> ok(kClients, 0);
  std::vector<int> reused(kClients, 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      HttpTestClient client(api.port(), kAdminToken);
      for (int r = 0; r < kRequests; ++r) {
        auto result = client.get("/api/v1/idtags");
        if (result.status == 200) ++ok[c];
        if (client.reused_connection()) ++reused[c];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int c = 0; c < kClients; ++c) {
    CHECK(ok[c] == kRequests);
    CHECK(reused[c] >= kRequests - 2);  // keep-alive: one connection per client
  }
  CHECK(api.server->running());
  CHECK(api.admin()->get("/api/v1/chargepoints").status == 200);
}
