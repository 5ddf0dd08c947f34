// SPEC §7 "Limits" on the REST API: open notification streams per owner and
// the request rate per API token are bounded; crossing either is answered
// 429 with a JSON error (and Retry-After for the rate) and logged, while
// everyone else is still served.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "test/support/api_fixture.h"
#include "test/support/eventually.h"

using namespace chargelock::test;
using namespace std::chrono_literals;

TEST_CASE("api limits: an owner's notification streams are capped, others still get theirs") {
  ApiFixture api("api", {"--streams-per-owner", "2"});
  const auto alice = api.new_owner("Alice");
  const auto bob = api.new_owner("Bob");

  HttpTestClient first(api.port(), alice.token);
  HttpTestClient second(api.port(), alice.token);
  // Heartbeats every second: a stream the client closed is noticed at the
  // next write.
  REQUIRE(first.open_stream("/api/v1/notifications/stream?heartbeat=1").status == 200);
  REQUIRE(second.open_stream("/api/v1/notifications/stream?heartbeat=1").status == 200);
  REQUIRE(first.read_stream_until(": connected", 5s));
  REQUIRE(second.read_stream_until(": connected", 5s));

  // A third is refused with a JSON error, and the refusal is logged.
  const auto refused = api.client(alice.token)->get("/api/v1/notifications/stream");
  CHECK(refused.status == 429);
  CHECK(error_of(refused).find("notification streams") != std::string::npos);
  CHECK(api.server->output_holds("already has 2 notification streams open", 5s));

  // Another owner is not affected; Alice's other requests neither.
  HttpTestClient bobs(api.port(), bob.token);
  CHECK(bobs.open_stream("/api/v1/notifications/stream").status == 200);
  CHECK(api.client(alice.token)->get("/api/v1/notifications").status == 200);

  // Closing one frees its place (once the server notices: the next heartbeat).
  first.close_stream();
  HttpTestClient again(api.port(), alice.token);
  CHECK(eventually([&] { return again.open_stream("/api/v1/notifications/stream").status == 200; },
                   5s, 100ms));
}

TEST_CASE("api limits: a token over its request rate gets 429 with Retry-After") {
  ApiFixture api("api", {"--api-token-rate", "1", "--api-token-burst", "3"});
  const auto alice = api.new_owner("Alice");
  auto client = api.client(alice.token);

  // A burst of 3 is served; what follows at once is refused.
  for (int i = 0; i < 3; ++i) REQUIRE(client->get("/api/v1/notifications").status == 200);
  HttpResult refused;
  for (int i = 0; i < 5 && refused.status != 429; ++i)
    refused = client->get("/api/v1/notifications");
  REQUIRE(refused.status == 429);
  CHECK(error_of(refused).find("too many requests") != std::string::npos);
  const std::string retry_after = refused.header("retry-after");
  REQUIRE_FALSE(retry_after.empty());
  CHECK(std::stoi(retry_after) >= 1);
  CHECK(api.server->output_holds("over its request rate", 5s));

  // The limit is per token: the operator is still served.
  CHECK(api.admin()->get("/api/v1/chargepoints").status == 200);

  // After the pause it asked for, the token is served again.
  // (The client's pace, not an assertion: it obeys Retry-After.)
  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(retry_after)));
  CHECK(eventually([&] { return client->get("/api/v1/notifications").status == 200; }, 5s, 100ms));
}

TEST_CASE("api limits: the default request rate serves an ordinary busy client") {
  ApiFixture api;
  auto admin = api.admin();
  // 60 requests as fast as one client sends them: well within the default
  // burst of 100, so none is refused.
  for (int i = 0; i < 60; ++i) REQUIRE(admin->get("/api/v1/chargepoints").status == 200);
}
