// Owners' webhooks against the real chargelock program and a loopback HTTP
// receiver in the test: the owner endpoints, a low-battery prompt (through
// POST /telematics/status) delivered with a valid signature, a retry after
// a 500, and delivery once a receiver that was down comes up, across a
// crash and restart of the server.
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "test/support/api_fixture.h"
#include "test/support/eventually.h"
#include "test/support/webhook_receiver.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kVin = "1HGCM82633A004352";
constexpr const char* kSecret = "whs-test-secret-0123456789";

struct Parties {
  std::string owner;  // tokens
  std::string telematics;
};

Parties make_parties(const ApiFixture& api) {
  Parties p;
  const auto alice = api.new_owner("Alice");
  p.owner = alice.token;
  p.telematics = api.new_token("telematics", "vehicle cloud");
  api.verified_vehicle(alice, kVin, {});
  return p;
}

// Reports a full battery, then a low one: one low-battery prompt.
void drop_battery(HttpTestClient& telematics, int& minute) {
  for (int soc : {80, 10}) {
    const std::string at = fmt::format("2024-05-01T12:{:02d}:00Z", minute++);
    auto result = telematics.post(
        "/api/v1/telematics/status",
        fmt::format(R"({{"vin":"{}","soc":{},"lat":48.1,"lon":11.5,"timestamp":"{}"}})", kVin, soc,
                    at));
    INFO(result.body);
    REQUIRE(result.status == 202);
  }
}

std::string put_body(const std::string& url, const std::string& secret = kSecret) {
  return fmt::format(R"({{"url":"{}","secret":"{}"}})", url, secret);
}

// Waits until the one delivery has been tried and its error kept.
bool first_attempt_failed(HttpTestClient& owner) {
  return eventually(
      [&] {
        auto d = owner.get("/api/v1/webhook/deliveries").json();
        return d["deliveries"].Size() == 1 && d["deliveries"][0]["attempts"].GetInt() >= 1 &&
               d["deliveries"][0]["lastError"].IsString();
      },
      10s);
}

}  // namespace

TEST_CASE("api webhook: an owner sets, reads and deletes its webhook, the secret is not shown") {
  ApiFixture api;
  const Parties parties = make_parties(api);
  auto owner = api.client(parties.owner);

  CHECK(owner->get("/api/v1/webhook").status == 404);
  CHECK(owner->del("/api/v1/webhook").status == 404);

  auto set = owner->put("/api/v1/webhook", put_body("https://hooks.example.com/chargelock"));
  INFO(set.body);
  REQUIRE(set.status == 200);
  CHECK(string_member(set, "url") == "https://hooks.example.com/chargelock");
  CHECK_FALSE(set.json().HasMember("secret"));
  CHECK(set.body.find(kSecret) == std::string::npos);

  auto got = owner->get("/api/v1/webhook");
  REQUIRE(got.status == 200);
  CHECK(string_member(got, "url") == "https://hooks.example.com/chargelock");
  CHECK(got.body.find("secret") == std::string::npos);
  CHECK(got.json().HasMember("createdAt"));

  // Without a secret the server makes one and shows it this once.
  auto generated = owner->put("/api/v1/webhook", R"({"url":"https://hooks.example.net/x"})");
  REQUIRE(generated.status == 200);
  const std::string secret = string_member(generated, "secret");
  CHECK(secret.rfind("whsec_", 0) == 0);
  CHECK(owner->get("/api/v1/webhook").body.find(secret) == std::string::npos);

  SECTION("bad input is 400") {
    for (const std::string& body :
         {put_body("ftp://example.com/"), put_body("example.com"),
          put_body("http://user:pw@example.com/"), put_body("https://example.com/", "short"),
          std::string(R"({"secret":"0123456789abcdefgh"})"),
          std::string(R"({"url":"https://example.com/","extra":1})"), std::string(R"({"url":42})"),
          std::string("not json")}) {
      auto result = owner->put("/api/v1/webhook", body);
      INFO(body << " -> " << result.body);
      CHECK(result.status == 400);
      CHECK_FALSE(error_of(result).empty());
    }
    CHECK(string_member(owner->get("/api/v1/webhook"), "url") == "https://hooks.example.net/x");
  }
  SECTION("owners and the operators' inbox only") {
    // An operator's webhook is the operators' inbox's, not the owner's.
    auto admin = api.admin();
    const std::string owners_url = string_member(owner->get("/api/v1/webhook"), "url");
    CHECK(admin->put("/api/v1/webhook", put_body("https://example.com/ops")).status == 200);
    CHECK(string_member(admin->get("/api/v1/webhook"), "url") == "https://example.com/ops");
    CHECK(string_member(owner->get("/api/v1/webhook"), "url") == owners_url);
    CHECK(api.client(parties.telematics)->get("/api/v1/webhook").status == 403);
    CHECK(api.client()->get("/api/v1/webhook").status == 401);
    CHECK(api.client("clk_unknown")->del("/api/v1/webhook").status == 401);
  }
  SECTION("delete") {
    CHECK(owner->del("/api/v1/webhook").status == 204);
    CHECK(owner->get("/api/v1/webhook").status == 404);
    CHECK(owner->del("/api/v1/webhook").status == 404);
  }
}

TEST_CASE("api webhook: a low-battery prompt reaches the receiver with a valid signature") {
  WebhookReceiver receiver;
  ApiFixture api("serve", {"--webhook-allow-private"});  // the receiver is on loopback
  const Parties parties = make_parties(api);
  auto owner = api.client(parties.owner);
  auto telematics = api.client(parties.telematics);
  REQUIRE(owner->put("/api/v1/webhook", put_body(receiver.url())).status == 200);

  int minute = 0;
  drop_battery(*telematics, minute);
  REQUIRE(receiver.wait_for(1, 15s));
  const auto request = receiver.requests().at(0);
  CHECK(request.method == "POST");
  CHECK(request.target == "/hook");
  CHECK(request.header("content-type") == "application/json");
  CHECK(request.header("x-chargelock-event") == "low_battery");
  CHECK(request.header("x-chargelock-signature") == expected_signature(kSecret, request.body));
  CHECK(request.header("x-chargelock-signature") !=
        expected_signature("another-secret-0123456789", request.body));

  // The body is the notification as GET /notifications shows it.
  rapidjson::Document body;
  body.Parse(request.body.c_str());
  REQUIRE(body.IsObject());
  CHECK(std::string(body["kind"].GetString()) == "low_battery");
  auto listed = owner->get("/api/v1/notifications").json();
  REQUIRE(listed["notifications"].Size() == 1);
  CHECK(body["id"].GetInt64() == listed["notifications"][0]["id"].GetInt64());
  CHECK(body.HasMember("body"));

  REQUIRE(eventually(
      [&] {
        auto d = owner->get("/api/v1/webhook/deliveries").json();
        return d["deliveries"].Size() == 1 &&
               std::string(d["deliveries"][0]["status"].GetString()) == "delivered";
      },
      5s));
  auto deliveries = owner->get("/api/v1/webhook/deliveries").json();
  const auto& d = deliveries["deliveries"][0];
  CHECK(std::to_string(d["id"].GetInt64()) == request.header("x-chargelock-delivery"));
  CHECK(d["attempts"].GetInt() == 1);
  CHECK(d["lastStatus"].GetInt() == 200);
  CHECK(d["lastError"].IsNull());
  CHECK(d["deliveredAt"].IsString());
}

TEST_CASE("api webhook: the receiver answers 500, then 200: delivered after a retry") {
  WebhookReceiver receiver;
  receiver.script({500});
  ApiFixture api("api", {"--webhook-allow-private"});
  const Parties parties = make_parties(api);
  auto owner = api.client(parties.owner);
  auto telematics = api.client(parties.telematics);
  REQUIRE(owner->put("/api/v1/webhook", put_body(receiver.url("/in?token=abc"))).status == 200);

  int minute = 0;
  drop_battery(*telematics, minute);
  REQUIRE(receiver.wait_for(2, 20s));
  const auto requests = receiver.requests();
  CHECK(requests[0].answered == 500);
  CHECK(requests[1].answered == 200);
  CHECK(requests[1].target == "/in?token=abc");
  // The same delivery, the same bytes, each time validly signed.
  CHECK(requests[0].header("x-chargelock-delivery") == requests[1].header("x-chargelock-delivery"));
  CHECK(requests[0].body == requests[1].body);
  for (const auto& r : requests)
    CHECK(r.header("x-chargelock-signature") == expected_signature(kSecret, r.body));

  REQUIRE(eventually(
      [&] {
        auto d = owner->get("/api/v1/webhook/deliveries").json();
        return std::string(d["deliveries"][0]["status"].GetString()) == "delivered";
      },
      5s));
  const auto final_page = owner->get("/api/v1/webhook/deliveries").json();
  const auto& d = final_page["deliveries"][0];
  CHECK(d["attempts"].GetInt() == 2);
  CHECK(d["lastStatus"].GetInt() == 200);
  // Nothing more once delivered: a later delivery reaches the receiver (so
  // the worker has run past the first one since it was delivered) and is the
  // only request after the first delivery's two.
  drop_battery(*telematics, minute);
  REQUIRE(receiver.wait_for(3, 20s));
  REQUIRE(eventually(
      [&] {
        auto page = owner->get("/api/v1/webhook/deliveries").json();
        return page["deliveries"].Size() == 2 &&
               std::string(page["deliveries"][0]["status"].GetString()) == "delivered" &&
               std::string(page["deliveries"][1]["status"].GetString()) == "delivered";
      },
      5s));
  const auto after = receiver.requests();
  CHECK(after.size() == 3);
  CHECK(after[2].header("x-chargelock-delivery") != requests[0].header("x-chargelock-delivery"));
  const auto last_page = owner->get("/api/v1/webhook/deliveries").json();
  for (const auto& delivery : last_page["deliveries"].GetArray()) {
    if (std::to_string(delivery["id"].GetInt64()) == requests[0].header("x-chargelock-delivery"))
      CHECK(delivery["attempts"].GetInt() == 2);
  }
}

TEST_CASE("api webhook: a receiver that is down is served later, across a server crash") {
  WebhookReceiver receiver(false);  // bound, not listening: connections are refused
  ApiFixture api("api", {"--webhook-allow-private"});
  const Parties parties = make_parties(api);
  auto owner = api.client(parties.owner);
  auto telematics = api.client(parties.telematics);
  REQUIRE(owner->put("/api/v1/webhook", put_body(receiver.url())).status == 200);

  int minute = 0;
  drop_battery(*telematics, minute);
  // The first attempt fails and its error is kept.
  REQUIRE(first_attempt_failed(*owner));
  const auto page = owner->get("/api/v1/webhook/deliveries").json();
  const auto& pending = page["deliveries"][0];
  CHECK(std::string(pending["status"].GetString()) == "pending");
  CHECK(pending["lastStatus"].IsNull());
  CHECK(std::string(pending["lastError"].GetString()).find("connect") != std::string::npos);
  CHECK(pending["nextAttemptAt"].IsString());

  // The server dies; the receiver comes up; a new server delivers.
  api.server->stop(true);
  receiver.listen();
  api.server = std::make_unique<ServerProcess>(
      std::vector<std::string>{"api", "--api-listen", "127.0.0.1:0", "--webhook-allow-private"},
      api.env(), std::vector<std::string>{"api"});
  REQUIRE(receiver.wait_for(1, 20s));
  const auto request = receiver.requests().at(0);
  CHECK(request.header("x-chargelock-signature") == expected_signature(kSecret, request.body));
  owner = api.client(parties.owner);
  REQUIRE(eventually(
      [&] {
        auto d = owner->get("/api/v1/webhook/deliveries").json();
        return std::string(d["deliveries"][0]["status"].GetString()) == "delivered";
      },
      5s));
}

TEST_CASE("api webhook: URLs reaching loopback, private or link-local addresses are refused") {
  ApiFixture api;
  const Parties parties = make_parties(api);
  auto owner = api.client(parties.owner);
  for (const char* url :
       {"http://127.0.0.1:8080/x", "http://localhost/x", "http://10.1.2.3/x", "http://172.20.0.1/x",
        "http://192.168.1.10/x", "http://169.254.169.254/latest/", "http://0.0.0.0/x",
        "http://[::1]/x", "http://[::]/x", "http://[fd12::1]/x", "http://[fe80::1]/x",
        "http://[::ffff:127.0.0.1]/x", "http://[::ffff:a00:1]/x", "https://127.1.2.3:8443/x"}) {
    auto result = owner->put("/api/v1/webhook", put_body(url));
    INFO(url << " -> " << result.status << " " << result.body);
    CHECK(result.status == 400);
    CHECK(error_of(result).find("--webhook-allow-private") != std::string::npos);
  }
  auto named = owner->put("/api/v1/webhook", put_body("http://localhost:9/x"));
  CHECK(error_of(named).find("localhost resolves to") != std::string::npos);
  CHECK(owner->get("/api/v1/webhook").status == 404);  // nothing was stored
  // A public address is fine.
  CHECK(owner->put("/api/v1/webhook", put_body("http://8.8.8.8/hook")).status == 200);

  // The operator may allow private destinations.
  ApiFixture allowing("api", {"--webhook-allow-private"});
  auto allowed_owner = allowing.client(allowing.new_owner_token("Eve"));
  CHECK(allowed_owner->put("/api/v1/webhook", put_body("http://127.0.0.1:8080/x")).status == 200);
}

TEST_CASE("api webhook: the address check is repeated at delivery, a refusal is a failed attempt") {
  WebhookReceiver receiver;
  ApiFixture api("api", {"--webhook-allow-private"});
  const Parties parties = make_parties(api);
  auto owner = api.client(parties.owner);
  REQUIRE(owner->put("/api/v1/webhook", put_body(receiver.url())).status == 200);

  // Registered while allowed; delivered by a server that does not allow it
  // (as when a name's DNS answer turns private after registration).
  api.server->stop();
  api.server = std::make_unique<ServerProcess>(
      std::vector<std::string>{"api", "--api-listen", "127.0.0.1:0"}, api.env(),
      std::vector<std::string>{"api"});
  owner = api.client(parties.owner);
  auto telematics = api.client(parties.telematics);
  int minute = 0;
  drop_battery(*telematics, minute);
  REQUIRE(first_attempt_failed(*owner));
  const auto page = owner->get("/api/v1/webhook/deliveries").json();
  const auto& refused = page["deliveries"][0];
  const std::string error = refused["lastError"].GetString();
  INFO(error);
  CHECK(error.find("127.0.0.1, a loopback address") != std::string::npos);
  CHECK(refused["lastStatus"].IsNull());
  CHECK(std::string(refused["status"].GetString()) == "pending");  // retried later
  CHECK(receiver.requests().empty());
}
