// Scale-out (SPEC §6): two OCPP nodes and an API process share one
// PostgreSQL and nothing else. A command queued through the API reaches the
// node that holds the pile, and a pile that moves to another node gets its
// pending commands there.
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "test/support/eventually.h"
#include "test/support/http_test_client.h"
#include "test/support/ocpp_test_pile.h"
#include "test/support/server_process.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

const std::string kAdminToken = "scale-out-admin-token-0123456789";

struct Cluster {
  TestDatabase database;
  std::map<std::string, std::string> env{{"CHARGELOCK_DATABASE_URL", database.url()},
                                         {"CHARGELOCK_ADMIN_TOKEN", kAdminToken}};
  std::unique_ptr<ServerProcess> node_a = start_node("node-a");
  std::unique_ptr<ServerProcess> node_b = start_node("node-b");
  ServerProcess api{{"api", "--api-listen", "127.0.0.1:0"}, env, {"api"}};

  std::unique_ptr<ServerProcess> start_node(const std::string& name) {
    return std::make_unique<ServerProcess>(
        std::vector<std::string>{"ocpp", "--ocpp-listen", "127.0.0.1:0", "--node-id", name}, env);
  }

  HttpResult request(const std::string& method, const std::string& path,
                     const std::string& body = "") {
    HttpTestClient client(api.port("api"), kAdminToken);
    return client.request(method, "/api/v1" + path, body);
  }

  std::string status_of(std::int64_t command) {
    const auto doc = request("GET", fmt::format("/commands/{}", command)).json();
    return doc.IsObject() && doc.HasMember("status") ? doc["status"].GetString() : "";
  }

  std::string scalar(const std::string& sql) { return database.scalar(sql); }
};

// `boot` false: the pile sends no BootNotification (it was accepted before
// and reconnects without a reboot; its commands come without one).
std::unique_ptr<OcppTestPile> connect(ServerProcess& node, const std::string& id,
                                      bool boot = true) {
  WsClientOptions options;
  options.basic_user = id;
  options.basic_password = "pile-password-" + id;
  auto pile =
      connect_when_known(fmt::format("ws://127.0.0.1:{}", node.port("ocpp ws")), id, options);
  if (!pile) FAIL("the node never learned about " << id << "; its output:\n" << node.output());
  // Commands wait for the pile's accepted boot (OCPP 1.6 §4.2).
  if (boot) {
    const auto answer =
        pile->call_ok("BootNotification", R"({"chargePointVendor":"T","chargePointModel":"S"})");
    REQUIRE(std::string(answer["status"].GetString()) == "Accepted");
  }
  return pile;
}

// Receives the next CALL, checks its action and answers it.
void answer_next_call(OcppTestPile& pile, const std::string& action, const std::string& result) {
  auto text = pile.client().receive(10s);
  REQUIRE(text);
  rapidjson::Document frame;
  frame.Parse(text->c_str());
  REQUIRE(frame.IsArray());
  REQUIRE(frame[0].GetInt() == 2);
  CHECK(std::string(frame[2].GetString()) == action);
  REQUIRE(pile.client().send_text(fmt::format(R"([3,"{}",{}])", frame[1].GetString(), result)));
}

std::int64_t queue(Cluster& cluster, const std::string& id, const std::string& body) {
  auto response = cluster.request("POST", "/chargepoints/" + id + "/commands", body);
  INFO(response.body);
  REQUIRE(response.status == 202);
  return response.json()["commandId"].GetInt64();
}

}  // namespace

TEST_CASE_METHOD(Cluster,
                 "a command reaches the node that holds the pile, and follows it to another") {
  for (const char* id : {"CP-MOVE", "CP-WITNESS-A", "CP-WITNESS-B"}) {
    REQUIRE(request("POST", "/chargepoints",
                    fmt::format(R"({{"id":"{}","password":"pile-password-{}"}})", id, id))
                .status == 201);
  }
  {
    auto pile = connect(*node_a, "CP-MOVE");
    REQUIRE(eventually([&] {
      return scalar("SELECT connected_node FROM charge_points WHERE id = 'CP-MOVE'") == "node-a";
    }));
    const auto first = queue(*this, "CP-MOVE", R"({"action":"ClearCache","payload":{}})");
    answer_next_call(*pile, "ClearCache", R"({"status":"Accepted"})");
    CHECK(eventually([&] { return status_of(first) == "completed"; }));
    CHECK(scalar(fmt::format("SELECT claimed_by FROM commands WHERE id = {}", first)) == "node-a");
    pile->client().close();
    REQUIRE(pile->client().wait_closed(5s).has_value());
  }
  REQUIRE(eventually(
      [&] { return scalar("SELECT online FROM charge_points WHERE id = 'CP-MOVE'") == "f"; }));

  // Queued while the pile is offline, delivered by the node it comes back to.
  const auto second = queue(*this, "CP-MOVE", R"({"action":"Reset","payload":{"type":"Soft"}})");
  // Neither node touches it while the pile is away: a command queued after
  // it for a pile on each node is delivered and completed (each node has
  // handled the queue since `second` was added), and `second` is still queued.
  for (auto* node : {node_a.get(), node_b.get()}) {
    const std::string witness = node == node_a.get() ? "CP-WITNESS-A" : "CP-WITNESS-B";
    auto witness_pile = connect(*node, witness);
    const auto later = queue(*this, witness, R"({"action":"ClearCache","payload":{}})");
    answer_next_call(*witness_pile, "ClearCache", R"({"status":"Accepted"})");
    INFO("the witness command on " << witness);
    REQUIRE(eventually([&] { return status_of(later) == "completed"; }));
  }
  CHECK(status_of(second) == "queued");
  // Accepted before (on node-a): node-b sends it without a new boot.
  auto pile = connect(*node_b, "CP-MOVE", false);
  answer_next_call(*pile, "Reset", R"({"status":"Accepted"})");
  CHECK(eventually([&] { return status_of(second) == "completed"; }));
  CHECK(scalar(fmt::format("SELECT claimed_by FROM commands WHERE id = {}", second)) == "node-b");

  // And while it stays there, new commands go to node-b only.
  const auto third = queue(*this, "CP-MOVE", R"({"action":"GetLocalListVersion","payload":{}})");
  answer_next_call(*pile, "GetLocalListVersion", R"({"listVersion":7})");
  CHECK(eventually([&] { return status_of(third) == "completed"; }));
  CHECK(scalar(fmt::format("SELECT claimed_by FROM commands WHERE id = {}", third)) == "node-b");
}
