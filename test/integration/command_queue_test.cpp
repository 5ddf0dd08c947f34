// The durable command queue end to end: commands queued in the database (as
// the API does, through core::CommandService) reach piles connected to the
// real chargelock program over real websockets, and their outcome is
// recorded — across disconnects, time-outs and restarts of the program.
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <thread>

#include "core/central_system.h"
#include "ocpp/command_validator.h"
#include "test/support/eventually.h"
#include "test/support/server_process.h"
#include "test/support/test_database.h"
#include "test/support/ws_test_client.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

struct IncomingCall {
  std::string message_id;
  std::string action;
  std::string payload_json;
};

// The next frame the pile receives, which must be a CALL.
std::optional<IncomingCall> next_call(WsTestClient& client, std::chrono::milliseconds timeout) {
  auto text = client.receive(timeout);
  if (!text) return std::nullopt;
  rapidjson::Document frame;
  frame.Parse(text->c_str());
  INFO(*text);
  REQUIRE(!frame.HasParseError());
  REQUIRE(frame.IsArray());
  REQUIRE(frame.Size() == 4);
  REQUIRE(frame[0].GetInt() == 2);
  IncomingCall call;
  call.message_id = frame[1].GetString();
  call.action = frame[2].GetString();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  frame[3].Accept(writer);
  call.payload_json = buffer.GetString();
  return call;
}

void answer(WsTestClient& client, const IncomingCall& call, const std::string& payload) {
  REQUIRE(client.send_text(fmt::format(R"([3,"{}",{}])", call.message_id, payload)));
}

struct QueueFixture {
  TestDatabase database;
  std::unique_ptr<ServerProcess> server;
  core::CentralSystem central{database.db(), central_config()};
  ocpp::OcppCommandValidator validator;
  int call_timeout_s = 30;

  static core::CentralSystemConfig central_config() {
    core::CentralSystemConfig config;
    config.message_log = false;
    config.node_id = "test-enqueuer";
    return config;
  }

  QueueFixture() {
    central.set_command_validator(&validator);
    for (const char* id : {"CP-1", "CP-2"}) {
      auto [code, output] = ServerProcess::run(
          {"chargepoint", "add", id, "--password", std::string("pile-password-") + id}, env());
      INFO(output);
      REQUIRE(code == 0);
    }
  }

  std::map<std::string, std::string> env() const {
    return {{"CHARGELOCK_DATABASE_URL", database.url()}};
  }

  void start() {
    server = std::make_unique<ServerProcess>(
        std::vector<std::string>{"ocpp", "--ocpp-listen", "127.0.0.1:0", "--call-timeout",
                                 std::to_string(call_timeout_s)},
        env());
  }

  // A connected pile whose boot was accepted (commands wait for that).
  std::unique_ptr<WsTestClient> connect(const std::string& id) {
    auto client = connect_unbooted(id);
    boot(*client);
    return client;
  }

  // A pile accepted before coming back: commands may go out as soon as the
  // connection opens (accepted_before), so a BootNotification sent now could
  // be answered after a command — a race, not a rule. It reconnects without
  // a boot, as a pile that did not reboot does.
  std::unique_ptr<WsTestClient> reconnect(const std::string& id) { return connect_unbooted(id); }

  std::unique_ptr<WsTestClient> connect_unbooted(const std::string& id) {
    auto client = std::make_unique<WsTestClient>();
    WsClientOptions options;
    options.basic_user = id;
    options.basic_password = "pile-password-" + id;
    const auto result =
        client->connect(fmt::format("ws://127.0.0.1:{}", server->port("ocpp ws")), id, options);
    INFO(result.error);
    REQUIRE(result.connected);
    return client;
  }

  // Sends a CALL and returns the first frame that comes back (the test
  // checks it is the answer, not a command).
  static std::string call(WsTestClient& client, const std::string& action,
                          const std::string& payload) {
    REQUIRE(client.send_text(fmt::format(R"([2,"t-{}","{}",{}])", action, action, payload)));
    const auto reply = client.receive(5s);
    REQUIRE(reply);
    return *reply;
  }

  static void boot(WsTestClient& client) {
    const std::string reply =
        call(client, "BootNotification", R"({"chargePointVendor":"Test","chargePointModel":"Q"})");
    INFO(reply);
    REQUIRE(reply.rfind(R"([3,"t-BootNotification",{"status":"Accepted")", 0) == 0);
  }

  core::CommandRecord enqueue(const std::string& id, const std::string& action,
                              const std::string& payload) {
    core::CommandRequest request;
    request.charge_point_id = id;
    request.action = action;
    request.payload_json = payload;
    return central.commands().enqueue(request);
  }

  // Polls the record until it has `status` (or the time is up) and returns it.
  core::CommandRecord wait_for(std::int64_t id, core::CommandStatus status,
                               std::chrono::milliseconds timeout = 5s) {
    std::optional<core::CommandRecord> record;
    eventually(
        [&] {
          record = central.commands().find(id);
          REQUIRE(record);
          return record->status == status;
        },
        timeout);
    return *record;
  }
};

}  // namespace

TEST_CASE_METHOD(QueueFixture,
                 "no command reaches a never accepted pile before its boot is accepted") {
  start();
  const auto queued = enqueue("CP-2", "Reset", R"({"type":"Soft"})");
  // CP-2 never booted: OCPP 1.6 §4.2, nothing before its boot is accepted
  // (before this rule the Reset went out as soon as the connection opened),
  // not even after another CALL.
  auto pile = connect_unbooted("CP-2");
  const std::string heartbeat = QueueFixture::call(*pile, "Heartbeat", "{}");
  CHECK(heartbeat.rfind(R"([3,"t-Heartbeat")", 0) == 0);
  CHECK_FALSE(pile->receive(1500ms));
  CHECK(central.commands().find(queued.id)->status == core::CommandStatus::Queued);

  // A Pending pile: its boot is answered Pending and it gets nothing.
  database.scalar("UPDATE charge_points SET registration_status = 'Pending' WHERE id = 'CP-2'");
  const std::string pending =
      call(*pile, "BootNotification", R"({"chargePointVendor":"Test","chargePointModel":"Q"})");
  CHECK(pending.rfind(R"([3,"t-BootNotification",{"status":"Pending")", 0) == 0);
  CHECK_FALSE(pile->receive(1500ms));
  // Reconnecting (it has a boot on record now, answered Pending) changes nothing.
  pile.reset();
  pile = connect_unbooted("CP-2");
  CHECK_FALSE(pile->receive(1500ms));
  CHECK(central.commands().find(queued.id)->status == core::CommandStatus::Queued);

  // Accepted by the operator: the next boot's answer comes first, then the command.
  database.scalar("UPDATE charge_points SET registration_status = 'Accepted' WHERE id = 'CP-2'");
  boot(*pile);
  auto command = next_call(*pile, 5s);
  REQUIRE(command);
  CHECK(command->action == "Reset");
  answer(*pile, *command, R"({"status":"Accepted"})");
  CHECK(wait_for(queued.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);
}

TEST_CASE_METHOD(QueueFixture,
                 "a pile accepted before that reconnects without a boot gets its queued command "
                 "without sending any CALL") {
  start();
  auto pile = connect("CP-2");  // booted, answered Accepted
  pile.reset();
  const auto queued = enqueue("CP-2", "Reset", R"({"type":"Hard"})");
  // A reconnect without a reboot: the pile says nothing until its next
  // heartbeat (minutes); the command must not wait for that.
  pile = connect_unbooted("CP-2");
  auto command = next_call(*pile, 5s);
  REQUIRE(command);
  CHECK(command->payload_json == R"({"type":"Hard"})");
  answer(*pile, *command, R"({"status":"Accepted"})");
  CHECK(wait_for(queued.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);
}

TEST_CASE_METHOD(QueueFixture, "a command reaches the connected pile and its answer is recorded") {
  start();
  auto pile = connect("CP-1");
  auto other = connect("CP-2");
  const auto queued = enqueue("CP-1", "GetConfiguration", R"({"key":["HeartbeatInterval"]})");

  const auto sent_at = std::chrono::steady_clock::now();
  auto call = next_call(*pile, 5s);
  REQUIRE(call);
  // Woken by NOTIFY, not by a slow poll.
  CHECK(std::chrono::steady_clock::now() - sent_at < 2s);
  CHECK(call->action == "GetConfiguration");
  CHECK(call->payload_json == R"({"key":["HeartbeatInterval"]})");
  CHECK(wait_for(queued.id, core::CommandStatus::Sent).status == core::CommandStatus::Sent);

  answer(*pile, *call,
         R"({"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"120"}]})");
  const auto done = wait_for(queued.id, core::CommandStatus::Completed);
  CHECK(done.status == core::CommandStatus::Completed);
  REQUIRE(done.response_json);
  CHECK_THAT(*done.response_json, Catch::Contains("\"value\":\"120\""));
  CHECK(done.sent_at);
  CHECK(done.completed_at);
  // The effect is kept: the pile's configuration is stored.
  const auto keys = central.commands().configuration("CP-1");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].key == "HeartbeatInterval");
  CHECK(keys[0].value == std::optional<std::string>("120"));
  // Another pile got nothing.
  CHECK_FALSE(other->receive(300ms));
}

TEST_CASE_METHOD(QueueFixture, "a command for an offline pile waits and is delivered on connect") {
  start();
  const auto queued = enqueue("CP-2", "Reset", R"({"type":"Soft"})");
  // Not sent while CP-2 is away: a command queued after it for a connected
  // pile is delivered and answered, so the node has read the queue since
  // CP-2's command was added to it.
  {
    auto witness = connect("CP-1");
    const auto later = enqueue("CP-1", "ClearCache", "{}");
    auto call = next_call(*witness, 5s);
    REQUIRE(call);
    CHECK(call->action == "ClearCache");
    answer(*witness, *call, R"({"status":"Accepted"})");
    REQUIRE(wait_for(later.id, core::CommandStatus::Completed).status ==
            core::CommandStatus::Completed);
  }
  CHECK(central.commands().find(queued.id)->status == core::CommandStatus::Queued);

  auto pile = connect("CP-2");
  auto call = next_call(*pile, 5s);
  REQUIRE(call);
  CHECK(call->action == "Reset");
  answer(*pile, *call, R"({"status":"Accepted"})");
  const auto done = wait_for(queued.id, core::CommandStatus::Completed);
  CHECK(done.status == core::CommandStatus::Completed);
  CHECK(done.response_json == std::optional<std::string>(R"({"status":"Accepted"})"));
}

TEST_CASE_METHOD(QueueFixture,
                 "one command is outstanding at a time, the next follows the answer") {
  start();
  auto pile = connect("CP-1");
  const auto first = enqueue("CP-1", "ClearCache", "{}");
  const auto second = enqueue("CP-1", "Reset", R"({"type":"Hard"})");

  auto call = next_call(*pile, 5s);
  REQUIRE(call);
  CHECK(call->action == "ClearCache");
  // Unanswered: the second one waits.
  CHECK_FALSE(next_call(*pile, 1500ms));
  CHECK(central.commands().find(second.id)->status == core::CommandStatus::Queued);

  answer(*pile, *call, R"({"status":"Accepted"})");
  auto next = next_call(*pile, 5s);
  REQUIRE(next);
  CHECK(next->action == "Reset");
  CHECK(wait_for(first.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);
  answer(*pile, *next, R"({"status":"Rejected"})");
  CHECK(wait_for(second.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);
}

// A claim tells whether another command of the pile waits behind the one
// it sends; with none, nothing is claimed after the answer (a lock's 10,000
// answers cost no claim). A command queued while the CALL is out must still
// follow the answer.
TEST_CASE_METHOD(QueueFixture,
                 "a command queued while the pile's only CALL is out follows its answer") {
  auto& store = database.db().commands();
  database.scalar("INSERT INTO charge_points (id) VALUES ('CP-CLAIM') RETURNING 1");
  const auto add = [&](const std::string& action) {
    return database.scalar(
        "INSERT INTO commands (charge_point_id, action, payload, expires_at) VALUES"
        " ('CP-CLAIM', '" +
        action + "', '{}', now() + interval '1 hour') RETURNING id");
  };
  const std::string one = add("ClearCache");
  const std::string two = add("ClearCache");
  auto claimed = store.claim_next_many({"CP-CLAIM"}, "node-a");
  REQUIRE(claimed.size() == 1);
  CHECK(std::to_string(claimed[0].id) == one);
  CHECK(claimed[0].more_queued);
  REQUIRE(store.complete(claimed[0].id, {"completed", "{}", {}, {}}, {}));
  claimed = store.claim_next_many({"CP-CLAIM"}, "node-a");
  REQUIRE(claimed.size() == 1);
  CHECK(std::to_string(claimed[0].id) == two);
  CHECK_FALSE(claimed[0].more_queued);

  start();
  auto pile = connect("CP-1");
  const auto first = enqueue("CP-1", "ClearCache", "{}");
  auto call = next_call(*pile, 5s);
  REQUIRE(call);
  CHECK(wait_for(first.id, core::CommandStatus::Sent).status == core::CommandStatus::Sent);
  // Queued after the claim saw nothing behind the first.
  const auto second = enqueue("CP-1", "Reset", R"({"type":"Soft"})");
  CHECK_FALSE(next_call(*pile, 500ms));  // one CALL at a time
  answer(*pile, *call, R"({"status":"Accepted"})");
  auto next = next_call(*pile, 5s);
  REQUIRE(next);
  CHECK(next->action == "Reset");
  answer(*pile, *next, R"({"status":"Accepted"})");
  CHECK(wait_for(second.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);
}

TEST_CASE_METHOD(QueueFixture, "a CALLERROR answer fails the command with the pile's code") {
  start();
  auto pile = connect("CP-1");
  const auto queued = enqueue("CP-1", "UnlockConnector", R"({"connectorId":1})");
  auto call = next_call(*pile, 5s);
  REQUIRE(call);
  REQUIRE(pile->send_text(
      fmt::format(R"([4,"{}","NotSupported","no unlocking here",{{"x":1}}])", call->message_id)));
  const auto failed = wait_for(queued.id, core::CommandStatus::Failed);
  CHECK(failed.status == core::CommandStatus::Failed);
  CHECK(failed.error_code == std::optional<std::string>("NotSupported"));
  CHECK(failed.error_description == std::optional<std::string>("no unlocking here"));
  CHECK(failed.response_json == std::optional<std::string>(R"({"x":1})"));
}

TEST_CASE_METHOD(QueueFixture, "an unanswered command times out and is never sent again") {
  call_timeout_s = 1;
  start();
  auto pile = connect("CP-1");
  const auto queued = enqueue("CP-1", "ClearCache", "{}");
  auto call = next_call(*pile, 5s);
  REQUIRE(call);
  const auto timed_out = wait_for(queued.id, core::CommandStatus::Timeout);
  CHECK(timed_out.status == core::CommandStatus::Timeout);
  CHECK(timed_out.error_code == std::optional<std::string>("Timeout"));
  // A late answer changes nothing.
  answer(*pile, *call, R"({"status":"Accepted"})");
  CHECK_FALSE(next_call(*pile, 1500ms));
  CHECK(central.commands().find(queued.id)->status == core::CommandStatus::Timeout);

  // Sent, then the pile went away before answering: timeout too, and the
  // reconnected pile does not get it again; the next queued one it does get.
  const auto lost = enqueue("CP-1", "Reset", R"({"type":"Soft"})");
  call = next_call(*pile, 5s);
  REQUIRE(call);
  CHECK(call->action == "Reset");
  pile->close();
  pile->wait_closed(2s);
  CHECK(wait_for(lost.id, core::CommandStatus::Timeout).status == core::CommandStatus::Timeout);
  const auto after = enqueue("CP-1", "ClearCache", "{}");
  pile = reconnect("CP-1");
  call = next_call(*pile, 5s);
  REQUIRE(call);
  CHECK(call->action == "ClearCache");
  answer(*pile, *call, R"({"status":"Accepted"})");
  CHECK(wait_for(after.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);
  CHECK(central.commands().find(lost.id)->status == core::CommandStatus::Timeout);
}

TEST_CASE_METHOD(QueueFixture, "commands survive a restart, a crash never re-sends a sent one") {
  start();
  server->stop();
  // Queued while no OCPP node runs.
  const auto while_down = enqueue("CP-1", "ClearCache", "{}");
  start();
  auto pile = connect("CP-1");
  auto call = next_call(*pile, 5s);
  REQUIRE(call);
  CHECK(call->action == "ClearCache");
  answer(*pile, *call, R"({"status":"Accepted"})");
  CHECK(wait_for(while_down.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);

  // Sent, then the program is killed before the answer arrives.
  const auto in_flight = enqueue("CP-1", "Reset", R"({"type":"Hard"})");
  const auto behind = enqueue("CP-1", "ClearCache", "{}");
  call = next_call(*pile, 5s);
  REQUIRE(call);
  CHECK(call->action == "Reset");
  server->stop(true);
  pile.reset();
  CHECK(central.commands().find(in_flight.id)->status == core::CommandStatus::Sent);

  start();
  pile = reconnect("CP-1");
  // The pile gets the command behind it, not the Reset again.
  call = next_call(*pile, 5s);
  REQUIRE(call);
  CHECK(call->action == "ClearCache");
  answer(*pile, *call, R"({"status":"Accepted"})");
  CHECK(wait_for(behind.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);
  const auto lost = central.commands().find(in_flight.id);
  CHECK(lost->status == core::CommandStatus::Timeout);
  CHECK_FALSE(next_call(*pile, 1s));
  // A completed command was not delivered twice either.
  CHECK(central.commands().find(while_down.id)->status == core::CommandStatus::Completed);
}

TEST_CASE_METHOD(QueueFixture,
                 "a stopping node waits for the answer to a command it sent and sends no new one") {
  // A rolling restart (docs/deployment.md): the node is told to stop while a
  // command is out at a pile and another is queued. The first is answered
  // and recorded, not cut off as a timeout; the second is left queued for
  // the node the pile reconnects to.
  start();
  auto pile = connect("CP-1");
  const auto first = enqueue("CP-1", "GetConfiguration", R"({"key":["HeartbeatInterval"]})");
  auto call = next_call(*pile, 5s);
  REQUIRE(call);
  REQUIRE(server->signal(SIGTERM));
  const auto second = enqueue("CP-1", "ClearCache", "{}");
  // Not closed for longer than the node's 200 ms settle time: without
  // waiting for the answer it would have closed the pile by then (a close
  // ends this wait at once, failing the check).
  CHECK_FALSE(pile->wait_closed(800ms));
  answer(*pile, *call, R"({"configurationKey":[]})");
  CHECK(pile->wait_closed(8s) == std::optional<int>(1001));
  CHECK(wait_for(first.id, core::CommandStatus::Completed).status ==
        core::CommandStatus::Completed);
  CHECK(central.commands().find(second.id)->status == core::CommandStatus::Queued);
}
