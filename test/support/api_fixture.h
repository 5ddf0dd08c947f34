// A running `chargelock api` (or `serve`) on a fresh test database, with an
// admin token, for the api_*_test integration tests.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test/support/http_test_client.h"
#include "test/support/server_process.h"
#include "test/support/test_database.h"

namespace chargelock::test {

inline constexpr const char* kAdminToken = "test-admin-token-0123456789abcdef";

struct ApiFixture {
  TestDatabase database;
  std::unique_ptr<ServerProcess> server;

  explicit ApiFixture(const std::string& command = "api",
                      const std::vector<std::string>& extra_flags = {}) {
    std::vector<std::string> args = {command, "--api-listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    std::vector<std::string> await = {"api"};
    if (command == "serve") {
      args.insert(args.end(), {"--ocpp-listen", "127.0.0.1:0"});
      await.push_back("ocpp ws");
    }
    server = std::make_unique<ServerProcess>(args, env(), await);
  }

  std::map<std::string, std::string> env() const {
    return {{"CHARGELOCK_DATABASE_URL", database.url()}, {"CHARGELOCK_ADMIN_TOKEN", kAdminToken}};
  }

  int port() const { return server->port("api"); }
  // A client with the admin (operator) token.
  std::unique_ptr<HttpTestClient> admin() const {
    return std::make_unique<HttpTestClient>(port(), kAdminToken);
  }
  std::unique_ptr<HttpTestClient> client(const std::string& token = {}) const {
    return std::make_unique<HttpTestClient>(port(), token);
  }

  // POST /owners as the operator; the new owner's token.
  std::string new_owner_token(const std::string& name) const;
  // POST /owners as the operator: the owner's token and id.
  struct NewOwner {
    std::string token;
    std::int64_t id = 0;
  };
  NewOwner new_owner(const std::string& name) const;
  // POST /idtags {"idTag","ownerId"} as the operator: the card is the owner's.
  void assign_tag(const std::string& id_tag, std::int64_t owner_id) const;
  // POST /vehicles/{vin}/verify as the operator for that owner's claim.
  void verify(const std::string& vin, std::int64_t owner_id) const;
  // An owner's verified vehicle with its id tags assigned: what a lock needs.
  void verified_vehicle(const NewOwner& owner, const std::string& vin,
                        const std::vector<std::string>& id_tags,
                        const std::vector<std::string>& evcc_ids = {}) const;
  // POST /tokens as the operator; the new token of `role`.
  std::string new_token(const std::string& role, const std::string& name) const;
};

// "{...}" checked to be an object with `member`; the member's string value.
inline std::string string_member(const HttpResult& result, const char* member) {
  auto json = result.json();
  INFO(result.status << " " << result.body);
  REQUIRE(json.IsObject());
  REQUIRE(json.HasMember(member));
  REQUIRE(json[member].IsString());
  return json[member].GetString();
}

// The "error" text of a JSON error answer (fails when the body is not one).
inline std::string error_of(const HttpResult& result) { return string_member(result, "error"); }

inline std::string ApiFixture::new_owner_token(const std::string& name) const {
  auto created = admin()->post("/api/v1/owners", R"({"name":")" + name + R"("})");
  REQUIRE(created.status == 201);
  return string_member(created, "token");
}

inline ApiFixture::NewOwner ApiFixture::new_owner(const std::string& name) const {
  auto created = admin()->post("/api/v1/owners", R"({"name":")" + name + R"("})");
  REQUIRE(created.status == 201);
  NewOwner owner;
  owner.token = string_member(created, "token");
  owner.id = created.json()["ownerId"].GetInt64();
  return owner;
}

inline void ApiFixture::assign_tag(const std::string& id_tag, std::int64_t owner_id) const {
  auto assigned = admin()->post("/api/v1/idtags",
                                fmt::format(R"({{"idTag":"{}","ownerId":{}}})", id_tag, owner_id));
  INFO(assigned.body);
  REQUIRE(assigned.status == 201);
}

inline void ApiFixture::verify(const std::string& vin, std::int64_t owner_id) const {
  auto verified = admin()->post("/api/v1/vehicles/" + vin + "/verify",
                                fmt::format(R"({{"ownerId":{}}})", owner_id));
  INFO(verified.body);
  REQUIRE(verified.status == 200);
}

inline void ApiFixture::verified_vehicle(const NewOwner& owner, const std::string& vin,
                                         const std::vector<std::string>& id_tags,
                                         const std::vector<std::string>& evcc_ids) const {
  std::string tags, evcc;
  for (const auto& tag : id_tags) {
    assign_tag(tag, owner.id);
    tags += (tags.empty() ? "\"" : ",\"") + tag + "\"";
  }
  for (const auto& id : evcc_ids) evcc += (evcc.empty() ? "\"" : ",\"") + id + "\"";
  auto created =
      client(owner.token)
          ->post("/api/v1/vehicles",
                 fmt::format(R"({{"vin":"{}","idTags":[{}],"evccIds":[{}]}})", vin, tags, evcc));
  INFO(created.body);
  REQUIRE((created.status == 201 || created.status == 200));
  verify(vin, owner.id);
}

inline std::string ApiFixture::new_token(const std::string& role, const std::string& name) const {
  auto created =
      admin()->post("/api/v1/tokens", R"({"role":")" + role + R"(","name":")" + name + R"("})");
  REQUIRE(created.status == 201);
  return string_member(created, "token");
}

}  // namespace chargelock::test
