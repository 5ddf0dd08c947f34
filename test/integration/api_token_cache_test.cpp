// The verified-token cache across processes (core/verified_token_cache.h):
// two `chargelock api` processes on one database, each keeping the tokens
// it verified. A token revoked through one is refused by the other on the
// very next request; a kept token is dropped, and nothing is served from the
// cache, while a process's change channel is down.
#include <algorithm>
#include <catch2/catch.hpp>

#include "test/support/api_fixture.h"
#include "test/support/eventually.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChannelLive = "token changes heard";

struct TwoApis {
  ApiFixture first{"api"};  // owns the database
  ServerProcess second{{"api", "--api-listen", "127.0.0.1:0"}, first.env(), {"api"}};

  TwoApis() {
    // Until its channel answered, a process keeps nothing (every check asks
    // the database): wait for both, so that the tests below hit kept tokens.
    REQUIRE(first.server->output_holds(kChannelLive));
    REQUIRE(second.output_holds(kChannelLive));
  }
  HttpTestClient at_second(const std::string& token) const {
    return HttpTestClient(second.port("api"), token);
  }
};

}  // namespace

TEST_CASE("api: a token revoked through one process is refused by another at once") {
  TwoApis apis;
  const auto owner = apis.first.new_owner("Alice");
  const auto other = apis.first.new_owner("Bob");
  auto alice = apis.at_second(owner.token);
  auto bob = apis.at_second(other.token);
  for (int i = 0; i < 3; ++i) REQUIRE(alice.get("/api/v1/vehicles").status == 200);
  REQUIRE(bob.get("/api/v1/vehicles").status == 200);

  // The token's id, as the operator sees it.
  std::string token_id;
  const auto listed = apis.first.admin()->get("/api/v1/tokens").json();
  for (const auto& token : listed["tokens"].GetArray())
    if (std::string(token["name"].GetString()) == "Alice")
      token_id = std::to_string(token["id"].GetInt64());
  REQUIRE(!token_id.empty());
  REQUIRE(apis.first.admin()->del("/api/v1/tokens/" + token_id).status == 204);

  // The very next request, to the other process, without waiting.
  const auto refused = alice.get("/api/v1/vehicles");
  CHECK(refused.status == 401);
  CHECK(error_of(refused) == "invalid or revoked token");
  CHECK(bob.get("/api/v1/vehicles").status == 200);  // others stay valid
}

TEST_CASE("api: a change made in SQL is heard too, and a lost channel serves nothing kept") {
  TwoApis apis;
  auto& database = apis.first.database;
  const auto owner = apis.first.new_owner("Carol");
  auto carol = apis.at_second(owner.token);
  REQUIRE(carol.get("/api/v1/vehicles").status == 200);

  const std::string mine = " WHERE owner_id = " + std::to_string(owner.id) + " RETURNING id";

  // A role change by hand (the trigger signals any UPDATE) holds in every
  // process within the lease (1 s), at once when the signal is heard.
  database.scalar("UPDATE api_tokens SET role = 'operator', owner_id = NULL" + mine);
  CHECK(eventually([&] { return carol.get("/api/v1/vehicles").status == 403; }, 1s, 10ms));
  database.scalar("UPDATE api_tokens SET role = 'owner', owner_id = " + std::to_string(owner.id) +
                  " WHERE name = 'Carol' RETURNING id");
  REQUIRE(eventually([&] { return carol.get("/api/v1/vehicles").status == 200; }, 1s, 10ms));

  // Without the signal a kept token is served although the database revoked
  // it: what the signal (and, below, the loss of the channel) guards
  // against. (Kept only while the lease holds: a starved listener may let it
  // lapse between two requests, hence the retries.)
  database.scalar("ALTER TABLE api_tokens DISABLE TRIGGER api_tokens_signal_change; SELECT 1");
  bool served_revoked = false;
  for (int attempt = 0; attempt < 20 && !served_revoked; ++attempt) {
    database.scalar("UPDATE api_tokens SET revoked_at = NULL" + mine);
    REQUIRE(carol.get("/api/v1/vehicles").status == 200);  // verified and kept
    database.scalar("UPDATE api_tokens SET revoked_at = now()" + mine);
    served_revoked = carol.get("/api/v1/vehicles").status == 200;
  }
  REQUIRE(served_revoked);

  // Both processes' channels go down (their sessions ended): from the moment
  // the sessions are gone, the kept token is not served.
  const std::string listeners =
      "SELECT coalesce(string_agg(pid::text, ',' ORDER BY pid), '') FROM pg_stat_activity"
      " WHERE datname = current_database() AND (query LIKE 'LISTEN %chargelock_api_tokens%'"
      "   OR query = 'SELECT 1 AS chargelock_api_tokens')";
  const std::string before = database.scalar(listeners);
  REQUIRE(std::count(before.begin(), before.end(), ',') == 1);  // one per process
  database.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid IN (" +
                  before + ")");
  REQUIRE(eventually(
      [&] {
        return database.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid IN (" + before +
                               ")") == "0";
      },
      10s, 10ms));
  CHECK(carol.get("/api/v1/vehicles").status == 401);
  // Back (a new LISTEN): still refused, the database is asked afresh.
  CHECK(apis.second.output_holds("token change channel is down"));
  CHECK(eventually(
      [&] {
        const std::string now = database.scalar(listeners);
        return std::count(now.begin(), now.end(), ',') == 1 && now != before;
      },
      10s, 50ms));
  CHECK(carol.get("/api/v1/vehicles").status == 401);
  database.scalar("ALTER TABLE api_tokens ENABLE TRIGGER api_tokens_signal_change; SELECT 1");
}
