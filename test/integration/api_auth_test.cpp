// REST API authentication and roles against the real chargelock program:
// bearer tokens, 401 without or with a bad/revoked token, 403 for a role
// that may not use an endpoint.
#include <catch2/catch.hpp>

#include "test/support/api_fixture.h"

using namespace chargelock::test;

TEST_CASE("api: requests without a valid bearer token get 401 with a JSON error") {
  ApiFixture api;
  auto anonymous = api.client();

  auto missing = anonymous->get("/api/v1/chargepoints");
  CHECK(missing.status == 401);
  CHECK(missing.header("www-authenticate").find("Bearer") == 0);
  CHECK_FALSE(error_of(missing).empty());

  auto wrong = api.client("not-a-token")->get("/api/v1/chargepoints");
  CHECK(wrong.status == 401);
  CHECK_FALSE(error_of(wrong).empty());

  auto basic = anonymous->request("GET", "/api/v1/chargepoints", "",
                                  {{"Authorization", "Basic YWRtaW46YWRtaW4="}});
  CHECK(basic.status == 401);

  auto admin = api.admin()->get("/api/v1/chargepoints");
  CHECK(admin.status == 200);
}

TEST_CASE("api: operator tokens are issued once, work, and stop working when revoked") {
  ApiFixture api;
  auto admin = api.admin();

  auto issued = admin->post("/api/v1/tokens", R"({"role":"operator","name":"night shift"})");
  REQUIRE(issued.status == 201);
  const std::string token = string_member(issued, "token");
  const auto id = issued.json()["id"].GetInt64();
  CHECK(token.size() >= 40);

  auto night = api.client(token);
  CHECK(night->get("/api/v1/idtags").status == 200);

  // The list never shows the token itself.
  auto listed = admin->get("/api/v1/tokens");
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find(token) == std::string::npos);
  CHECK(listed.body.find("night shift") != std::string::npos);

  CHECK(admin->del("/api/v1/tokens/" + std::to_string(id)).status == 204);
  CHECK(night->get("/api/v1/idtags").status == 401);
  CHECK(admin->del("/api/v1/tokens/999999").status == 404);

  // Tokens are stored hashed: the text is nowhere in the table.
  CHECK(api.database.scalar("SELECT count(*) FROM api_tokens WHERE token_hash = '" + token + "'") ==
        "0");
}

TEST_CASE("api: owner and telematics tokens are refused on operator endpoints with 403") {
  ApiFixture api;
  auto admin = api.admin();

  auto owner = admin->post("/api/v1/owners", R"({"name":"Alice"})");
  REQUIRE(owner.status == 201);
  CHECK(owner.json()["ownerId"].IsInt64());
  const std::string owner_token = string_member(owner, "token");

  auto telematics = admin->post("/api/v1/tokens", R"({"role":"telematics","name":"cloud"})");
  REQUIRE(telematics.status == 201);
  const std::string telematics_token = string_member(telematics, "token");

  for (const std::string& token : {owner_token, telematics_token}) {
    auto client = api.client(token);
    auto cps = client->get("/api/v1/chargepoints");
    CHECK(cps.status == 403);
    CHECK_FALSE(error_of(cps).empty());
    CHECK(client->post("/api/v1/chargepoints", R"({"id":"X"})").status == 403);
    CHECK(client->post("/api/v1/tokens", R"({"role":"operator","name":"me"})").status == 403);
    CHECK(client->post("/api/v1/owners", R"({"name":"Mallory"})").status == 403);
    CHECK(client->get("/api/v1/commands").status == 403);
    CHECK(client->get("/api/v1/transactions").status == 403);
    CHECK(client->del("/api/v1/tokens/1").status == 403);
  }

  // Owner tokens come with owners only.
  auto bad_role = admin->post("/api/v1/tokens", R"({"role":"owner","name":"x"})");
  CHECK(bad_role.status == 400);
  CHECK(admin->post("/api/v1/tokens", R"({"role":"root","name":"x"})").status == 400);
  CHECK(admin->post("/api/v1/owners", R"({"name":""})").status == 400);
}

TEST_CASE("api: a revoked admin token stays revoked across restarts") {
  TestDatabase database;
  std::map<std::string, std::string> env = {{"CHARGELOCK_DATABASE_URL", database.url()},
                                            {"CHARGELOCK_ADMIN_TOKEN", kAdminToken}};
  std::vector<std::string> args = {"api", "--api-listen", "127.0.0.1:0"};
  {
    ServerProcess server(args, env, {"api"});
    HttpTestClient admin(server.port("api"), kAdminToken);
    auto listed = admin.get("/api/v1/tokens");
    REQUIRE(listed.status == 200);
    const auto id = listed.json()["tokens"][0]["id"].GetInt64();
    CHECK(admin.del("/api/v1/tokens/" + std::to_string(id)).status == 204);
    CHECK(admin.get("/api/v1/tokens").status == 401);
  }
  ServerProcess again(args, env, {"api"});
  HttpTestClient admin(again.port("api"), kAdminToken);
  CHECK(admin.get("/api/v1/tokens").status == 401);
}
