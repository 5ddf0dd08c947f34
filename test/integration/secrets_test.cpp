// Secrets end to end (SPEC §7): an AuthorizationKey sent with
// ChangeConfiguration through the API reaches the pile, but never shows in
// clear in the API, the command row, the message log, the stored
// configuration or the program's output; when the pile accepts it, the key
// is the pile's new password (OCPP security whitepaper key rotation).
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "test/support/eventually.h"
#include "test/support/http_test_client.h"
#include "test/support/ocpp_test_pile.h"
#include "test/support/server_process.h"
#include "test/support/test_database.h"

using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "secrets-test-admin-token-0123456789";
constexpr const char* kOldPassword = "old-password-0123456789";
constexpr const char* kNewKey = "NewAuthKey-7f3a9c1e5b2d4680aa";
// 32 bytes of AES-256-GCM key, as 64 hex digits.
constexpr const char* kSecretKey =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

struct SecretsFixture {
  TestDatabase database;
  std::unique_ptr<ServerProcess> server;

  explicit SecretsFixture(bool with_secret_key = true) {
    std::map<std::string, std::string> env{{"CHARGELOCK_DATABASE_URL", database.url()},
                                           {"CHARGELOCK_ADMIN_TOKEN", kToken}};
    if (with_secret_key) env["CHARGELOCK_SECRET_KEY"] = kSecretKey;
    server = std::make_unique<ServerProcess>(
        std::vector<std::string>{"serve", "--api-listen", "127.0.0.1:0", "--ocpp-listen",
                                 "127.0.0.1:0"},
        env, std::vector<std::string>{"api", "ocpp ws"});
    auto created = api().post("/api/v1/chargepoints",
                              fmt::format(R"({{"id":"CP-KEY","password":"{}"}})", kOldPassword));
    INFO(created.body);
    REQUIRE(created.status == 201);
  }

  HttpTestClient api() const { return HttpTestClient(server->port("api"), kToken); }

  ConnectResult connect(OcppTestPile& pile, const std::string& password) {
    WsClientOptions options;
    options.basic_user = pile.id();
    options.basic_password = password;
    return pile.connect(fmt::format("ws://127.0.0.1:{}", server->port("ocpp ws")), options);
  }

  // POST .../commands; the command id.
  std::string change_key(const std::string& value) {
    auto queued = api().post(
        "/api/v1/chargepoints/CP-KEY/commands",
        fmt::format(
            R"({{"action":"ChangeConfiguration","payload":{{"key":"AuthorizationKey","value":"{}"}}}})",
            value));
    INFO(queued.body);
    REQUIRE(queued.status == 202);
    CHECK_THAT(queued.body, !Catch::Contains(value));
    rapidjson::Document json;
    json.Parse(queued.body.c_str());
    REQUIRE(json.IsObject());
    return std::to_string(json["commandId"].GetInt64());
  }

  // GET /commands/{id} until its status is `status` (or 10 s passed).
  HttpResult command_when(const std::string& id, const std::string& status) {
    HttpResult result;
    eventually(
        [&] {
          result = api().get("/api/v1/commands/" + id);
          REQUIRE(result.status == 200);
          return result.body.find(R"("status":")" + status + "\"") != std::string::npos;
        },
        10s, 50ms);
    return result;
  }

  // GET /chargepoints/CP-KEY/messages until it holds `needle` (or 10 s).
  std::string messages_holding(const std::string& needle) {
    HttpResult result;
    eventually(
        [&] {
          result = api().get("/api/v1/chargepoints/CP-KEY/messages?limit=1000");
          REQUIRE(result.status == 200);
          return result.body.find(needle) != std::string::npos;
        },
        10s, 50ms);
    return result.body;
  }

  // Everything the database keeps about CP-KEY's commands, configuration
  // and frames, as one text.
  std::string stored_text() {
    return database.scalar(
        "SELECT coalesce((SELECT string_agg(payload || coalesce(secret, '') ||"
        " coalesce(response, ''), ' ') FROM commands), '') || ' ' ||"
        " coalesce((SELECT string_agg(key || coalesce(value, ''), ' ')"
        " FROM charge_point_configuration), '') || ' ' ||"
        " coalesce((SELECT string_agg(frame, ' ') FROM message_log), '')");
  }
};

// The next frame the pile receives, which must be a CALL.
rapidjson::Document next_call(OcppTestPile& pile) {
  auto text = pile.client().receive(10s);
  REQUIRE(text);
  rapidjson::Document frame;
  frame.Parse(text->c_str());
  INFO(*text);
  REQUIRE(frame.IsArray());
  REQUIRE(frame.Size() == 4);
  REQUIRE(frame[0].GetInt() == 2);
  return frame;
}

}  // namespace

TEST_CASE("an accepted AuthorizationKey becomes the pile's password, and no clear copy is kept") {
  SecretsFixture f;
  OcppTestPile pile("CP-KEY");
  REQUIRE(f.connect(pile, kOldPassword).connected);
  pile.call_ok("BootNotification", R"({"chargePointVendor":"V","chargePointModel":"M"})");

  const std::string command_id = f.change_key(kNewKey);
  auto call = next_call(pile);
  CHECK(std::string(call[2].GetString()) == "ChangeConfiguration");
  // The pile itself gets the key in clear: it must set it.
  CHECK(std::string(call[3]["key"].GetString()) == "AuthorizationKey");
  CHECK(std::string(call[3]["value"].GetString()) == kNewKey);
  REQUIRE(pile.client().send_text(
      fmt::format(R"([3,"{}",{{"status":"Accepted"}}])", call[1].GetString())));

  auto done = f.command_when(command_id, "completed");
  INFO(done.body);
  CHECK_THAT(done.body, Catch::Contains(R"("status":"completed")"));
  CHECK_THAT(done.body, Catch::Contains(R"("value":"***")"));
  CHECK_THAT(done.body, !Catch::Contains(kNewKey));

  // The outgoing CALL is in the message log, with "***" for the key.
  const std::string log = f.messages_holding("ChangeConfiguration");
  CHECK_THAT(log, Catch::Contains("ChangeConfiguration"));
  CHECK_THAT(log, Catch::Contains(R"(\"value\":\"***\")"));
  CHECK_THAT(log, !Catch::Contains(kNewKey));
  CHECK_THAT(f.stored_text(), Catch::Contains("AuthorizationKey"));
  CHECK_THAT(f.stored_text(), !Catch::Contains(kNewKey));
  CHECK(f.database.scalar("SELECT count(*) FROM commands WHERE secret IS NOT NULL") == "0");

  // Key rotation: the pile reconnects with the key it accepted.
  pile.client().close();
  REQUIRE(pile.client().wait_closed(5s));
  OcppTestPile rotated("CP-KEY");
  auto with_new = f.connect(rotated, kNewKey);
  INFO(with_new.error);
  CHECK(with_new.connected);
  rotated.client().close();
  REQUIRE(rotated.client().wait_closed(5s));
  OcppTestPile stale("CP-KEY");
  CHECK(stale.refused_after_upgrade(f.connect(stale, kOldPassword)));

  CHECK_THAT(f.server->output(), !Catch::Contains(kNewKey));
  CHECK_THAT(f.server->output(), !Catch::Contains(kOldPassword));
}

TEST_CASE("a queued AuthorizationKey is encrypted at rest until delivered") {
  SecretsFixture f;
  const std::string command_id = f.change_key(kNewKey);

  // The pile is offline: the command waits, and nothing shows the key.
  auto queued = f.api().get("/api/v1/commands/" + command_id);
  CHECK_THAT(queued.body, Catch::Contains(R"("status":"queued")"));
  CHECK_THAT(queued.body, Catch::Contains(R"("value":"***")"));
  CHECK_THAT(queued.body, !Catch::Contains(kNewKey));
  auto listed = f.api().get("/api/v1/commands?chargePointId=CP-KEY");
  CHECK_THAT(listed.body, !Catch::Contains(kNewKey));
  const std::string sealed =
      f.database.scalar("SELECT secret FROM commands WHERE id = " + command_id);
  CHECK_THAT(sealed, Catch::StartsWith("aes256gcm:"));
  CHECK_THAT(f.stored_text(), !Catch::Contains(kNewKey));

  // A pile that refuses the key keeps its password; the secret is dropped.
  OcppTestPile pile("CP-KEY");
  REQUIRE(f.connect(pile, kOldPassword).connected);
  // Commands go only to a pile whose boot was accepted (OCPP 1.6 §4.2).
  pile.call_ok("BootNotification", R"({"chargePointVendor":"V","chargePointModel":"M"})");
  auto call = next_call(pile);
  CHECK(std::string(call[3]["value"].GetString()) == kNewKey);
  // Delivered: the row no longer keeps the key, even sealed.
  CHECK(f.database.scalar("SELECT secret FROM commands WHERE id = " + command_id) == "NULL");
  REQUIRE(pile.client().send_text(
      fmt::format(R"([3,"{}",{{"status":"Rejected"}}])", call[1].GetString())));
  f.command_when(command_id, "completed");
  CHECK(f.database.scalar("SELECT secret FROM commands WHERE id = " + command_id) == "NULL");
  pile.client().close();
  REQUIRE(pile.client().wait_closed(5s));
  OcppTestPile again("CP-KEY");
  CHECK(f.connect(again, kOldPassword).connected);
}

TEST_CASE("a pile reporting its AuthorizationKey in GetConfiguration: the log keeps \"***\"") {
  SecretsFixture f;
  OcppTestPile pile("CP-KEY");
  REQUIRE(f.connect(pile, kOldPassword).connected);
  pile.call_ok("BootNotification", R"({"chargePointVendor":"V","chargePointModel":"M"})");
  auto queued = f.api().post("/api/v1/chargepoints/CP-KEY/commands",
                             R"({"action":"GetConfiguration","payload":{}})");
  REQUIRE(queued.status == 202);
  auto call = next_call(pile);
  REQUIRE(std::string(call[2].GetString()) == "GetConfiguration");
  REQUIRE(pile.client().send_text(fmt::format(
      R"([3,"{}",{{"configurationKey":[{{"key":"AuthorizationKey","readonly":false,"value":"{}"}},)"
      R"({{"key":"HeartbeatInterval","readonly":false,"value":"120"}}]}}])",
      call[1].GetString(), kNewKey)));
  rapidjson::Document queued_json;
  queued_json.Parse(queued.body.c_str());
  const auto done =
      f.command_when(std::to_string(queued_json["commandId"].GetInt64()), "completed");
  CHECK_THAT(done.body, Catch::Contains(R"("status":"completed")"));
  CHECK_THAT(done.body, !Catch::Contains(kNewKey));
  const std::string log = f.messages_holding("HeartbeatInterval");
  CHECK_THAT(log, Catch::Contains("HeartbeatInterval"));
  CHECK_THAT(log, !Catch::Contains(kNewKey));
  const std::string stored = f.database.scalar(
      "SELECT value FROM charge_point_configuration WHERE key = 'HeartbeatInterval'");
  CHECK(stored == "120");
  CHECK_THAT(f.stored_text(), !Catch::Contains(kNewKey));
}

TEST_CASE("pile passwords and API tokens are never returned nor printed") {
  SecretsFixture f;
  auto token = f.api().post("/api/v1/tokens", R"({"role":"operator","name":"ops"})");
  REQUIRE(token.status == 201);
  rapidjson::Document issued;
  issued.Parse(token.body.c_str());
  const std::string secret_token = issued["token"].GetString();
  const std::string new_password = "changed-password-0123456789";
  REQUIRE(
      f.api()
          .put("/api/v1/chargepoints/CP-KEY", fmt::format(R"({{"password":"{}"}})", new_password))
          .status == 200);
  auto owner = f.api().post("/api/v1/owners", R"({"name":"Olga"})");
  REQUIRE(owner.status == 201);

  for (const char* path : {"/api/v1/chargepoints", "/api/v1/chargepoints/CP-KEY", "/api/v1/tokens",
                           "/api/v1/chargepoints/CP-KEY/messages", "/api/v1/commands"}) {
    auto result = f.api().get(path);
    INFO(path << " " << result.body);
    CHECK(result.status == 200);
    CHECK_THAT(result.body, !Catch::Contains(kOldPassword));
    CHECK_THAT(result.body, !Catch::Contains(new_password));
    CHECK_THAT(result.body, !Catch::Contains(secret_token));
  }
  CHECK_THAT(f.api().get("/api/v1/chargepoints/CP-KEY").body,
             Catch::Contains(R"("hasPassword":true)"));
  // The database keeps hashes only.
  CHECK_THAT(f.database.scalar("SELECT password_hash FROM charge_points WHERE id = 'CP-KEY'"),
             Catch::StartsWith("pbkdf2-sha256$"));
  CHECK(f.database.scalar("SELECT count(*) FROM api_tokens WHERE token_hash = '" + secret_token +
                          "'") == "0");
  CHECK_THAT(f.server->output(), !Catch::Contains(new_password));
  CHECK_THAT(f.server->output(), !Catch::Contains(secret_token));
  CHECK_THAT(f.server->output(), !Catch::Contains(kToken));
}
