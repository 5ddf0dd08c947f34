// API tokens: generated, stored hashed, authenticated by role, revoked; the
// admin token is added once.
#include <catch2/catch.hpp>
#include <set>

#include "core/token_service.h"
#include "test/support/test_database.h"

using namespace chargelock;
using chargelock::test::TestDatabase;

TEST_CASE("tokens are long, random and hashed with SHA-256") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = core::TokenService::generate();
    CHECK(token.rfind("clk_", 0) == 0);
    CHECK(token.size() == 4 + 43);
    CHECK(token.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 4) ==
          std::string::npos);
    seen.insert(token);
  }
  CHECK(seen.size() == 100);
  CHECK(core::TokenService::hash("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("issued tokens authenticate with their role until revoked") {
  TestDatabase test;
  core::AccessServices access(test.db());
  auto& tokens = access.tokens();

  const auto issued = tokens.issue(core::ApiRole::Telematics, "vehicle cloud");
  auto principal = tokens.authenticate(issued.token);
  REQUIRE(principal);
  CHECK(principal->role == core::ApiRole::Telematics);
  CHECK(principal->token_id == issued.id);
  CHECK(principal->name == "vehicle cloud");
  CHECK_FALSE(tokens.authenticate(issued.token + "x"));
  CHECK_FALSE(tokens.authenticate(""));
  CHECK(test.scalar("SELECT count(*) FROM api_tokens WHERE token_hash = '" +
                    core::TokenService::hash(issued.token) + "'") == "1");

  CHECK(tokens.revoke(issued.id));
  CHECK(tokens.revoke(issued.id));  // harmless twice
  CHECK_FALSE(tokens.authenticate(issued.token));
  CHECK_FALSE(tokens.revoke(123456));

  CHECK_THROWS_AS(tokens.issue(core::ApiRole::Owner, "x"), std::invalid_argument);
  CHECK_THROWS_AS(tokens.issue(core::ApiRole::Operator, ""), std::invalid_argument);
}

TEST_CASE("owners come with an owner token, the admin token is added once") {
  TestDatabase test;
  core::AccessServices access(test.db());
  auto& tokens = access.tokens();

  const auto owner = tokens.create_owner("Alice");
  auto principal = tokens.authenticate(owner.token.token);
  REQUIRE(principal);
  CHECK(principal->role == core::ApiRole::Owner);
  REQUIRE(principal->owner_id);
  CHECK(*principal->owner_id == owner.owner.id);

  CHECK(tokens.ensure_admin_token("admin-token-of-some-length"));
  CHECK_FALSE(tokens.ensure_admin_token("admin-token-of-some-length"));
  auto admin = tokens.authenticate("admin-token-of-some-length");
  REQUIRE(admin);
  CHECK(admin->role == core::ApiRole::Operator);
  CHECK(tokens.list().size() == 2);
  CHECK_THROWS_AS(tokens.ensure_admin_token(""), std::invalid_argument);
}
