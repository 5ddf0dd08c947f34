// The durable command queue against a real database: enqueue, validation
// with the OCPP 1.6 schemas, idempotency, listing, expiry, claiming and the
// pile state that answered commands leave behind.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "core/central_system.h"
#include "core/domain_errors.h"
#include "ocpp/command_validator.h"
#include "storage/database.h"
#include "test/support/eventually.h"
#include "test/support/test_database.h"

using namespace chargelock::core;
using chargelock::test::eventually_meanwhile;
using chargelock::test::TestDatabase;

namespace {

CentralSystemConfig config() {
  CentralSystemConfig c;
  c.node_id = "node-test";
  c.message_log = false;
  return c;
}

// A central system with a validator and two registered piles.
struct Fixture {
  TestDatabase test;
  CentralSystem central{test.db(), config()};
  chargelock::ocpp::OcppCommandValidator validator;
  CommandService& commands = central.commands();

  Fixture() {
    central.set_command_validator(&validator);
    REQUIRE(central.charge_points().register_charge_point(
        {"CP1", "pile-password-16", 1, std::nullopt, {}}));
    REQUIRE(central.charge_points().register_charge_point(
        {"CP2", "pile-password-16", 1, std::nullopt, {}}));
  }
};

CommandRequest request(std::string cp, std::string action, std::string payload,
                       std::optional<std::string> key = std::nullopt) {
  CommandRequest r;
  r.charge_point_id = std::move(cp);
  r.action = std::move(action);
  r.payload_json = std::move(payload);
  r.idempotency_key = std::move(key);
  return r;
}

std::string invalid_reason(CommandService& commands, const CommandRequest& r) {
  try {
    commands.enqueue(r);
  } catch (const InvalidCommand& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("an enqueued command is queued with its data and can be found") {
  Fixture f;
  const auto before = Clock::now() - std::chrono::seconds(1);
  bool created = false;
  auto r = request("CP1", "Reset", R"({"type":"Soft"})");
  r.origin = "lock:42";
  const CommandRecord c = f.commands.enqueue(r, created);
  CHECK(created);
  CHECK(c.id > 0);
  CHECK(c.status == CommandStatus::Queued);
  CHECK(c.charge_point_id == "CP1");
  CHECK(c.action == "Reset");
  CHECK(c.payload_json == R"({"type":"Soft"})");
  CHECK(c.origin == "lock:42");
  CHECK(c.created_at >= before);
  // Default expiry: 24 h after creation.
  CHECK(c.expires_at - c.created_at > std::chrono::hours(23));
  CHECK(c.expires_at - c.created_at < std::chrono::hours(25));
  CHECK_FALSE(c.sent_at);

  auto found = f.commands.find(c.id);
  REQUIRE(found);
  CHECK(found->status == CommandStatus::Queued);
  CHECK(found->payload_json == c.payload_json);
  CHECK_FALSE(f.commands.find(c.id + 1000));
  CHECK(std::string(to_string(CommandStatus::Timeout)) == "timeout");
  CHECK(command_status_from_string("expired") == CommandStatus::Expired);
  CHECK_FALSE(command_status_from_string("Expired"));
}

TEST_CASE("commands that fail validation are refused, naming the failing field") {
  Fixture f;
  CHECK_THAT(invalid_reason(f.commands, request("CP1", "Explode", "{}")),
             Catch::Contains("action") && Catch::Contains("Explode"));
  CHECK_THAT(
      invalid_reason(f.commands, request("CP1", "BootNotification",
                                         R"({"chargePointVendor":"a","chargePointModel":"b"})")),
      Catch::Contains("action") && Catch::Contains("charge point"));
  CHECK_THAT(invalid_reason(f.commands, request("CP1", "Reset", "{not json")),
             Catch::Contains("payload") && Catch::Contains("JSON"));
  CHECK_THAT(invalid_reason(f.commands, request("CP1", "Reset", "[]")), Catch::Contains("payload"));
  CHECK_THAT(invalid_reason(f.commands, request("CP1", "Reset", R"({"type":"Sideways"})")),
             Catch::Contains("payload/type"));
  CHECK_THAT(
      invalid_reason(f.commands, request("CP1", "ChangeAvailability", R"({"type":"Inoperative"})")),
      Catch::Contains("connectorId"));
  CHECK_THAT(invalid_reason(f.commands, request("CP1", "ReserveNow",
                                                R"({"connectorId":1,"expiryDate":"tomorrow",)"
                                                R"("idTag":"TAG","reservationId":1})")),
             Catch::Contains("expiryDate"));
  auto zero_expiry = request("CP1", "Reset", R"({"type":"Soft"})");
  zero_expiry.expires_in = std::chrono::seconds(0);
  CHECK_THAT(invalid_reason(f.commands, zero_expiry), Catch::Contains("expiresIn"));
  CHECK_THAT(invalid_reason(f.commands, request("CP1", "Reset", R"({"type":"Soft"})", "")),
             Catch::Contains("idempotencyKey"));
  // Nothing of it was queued.
  CHECK(f.commands.list({}).empty());

  // Every central-system-initiated action of 1.6 and the security extension
  // is accepted with a valid payload.
  const std::vector<std::pair<std::string, std::string>> valid = {
      {"ClearCache", "{}"},
      {"GetConfiguration", R"({"key":["HeartbeatInterval"]})"},
      {"TriggerMessage", R"({"requestedMessage":"Heartbeat"})"},
      {"ExtendedTriggerMessage", R"({"requestedMessage":"Heartbeat"})"},
      {"DataTransfer", R"({"vendorId":"org.chargelock","messageId":"LockVehicle","data":"{}"})"},
      {"GetInstalledCertificateIds", R"({"certificateType":"CentralSystemRootCertificate"})"},
  };
  for (const auto& [action, payload] : valid) {
    INFO(action);
    CHECK(f.commands.enqueue(request("CP1", action, payload)).status == CommandStatus::Queued);
  }
}

TEST_CASE("enqueue without a validator or for an unknown pile fails") {
  TestDatabase test;
  CentralSystem central(test.db(), config());
  CHECK_THROWS_AS(central.commands().enqueue(request("CP1", "Reset", R"({"type":"Soft"})")),
                  std::logic_error);
  chargelock::ocpp::OcppCommandValidator validator;
  central.set_command_validator(&validator);
  CHECK_THROWS_AS(central.commands().enqueue(request("NOPE", "Reset", R"({"type":"Soft"})")),
                  chargelock::core::RowNotFoundError);
}

TEST_CASE("an idempotency key used before returns the same command") {
  Fixture f;
  bool created = false;
  const auto first =
      f.commands.enqueue(request("CP1", "Reset", R"({"type":"Soft"})", "k-1"), created);
  CHECK(created);
  const auto again =
      f.commands.enqueue(request("CP1", "Reset", R"({"type":"Soft"})", "k-1"), created);
  CHECK_FALSE(created);
  CHECK(again.id == first.id);
  CHECK(again.idempotency_key == std::optional<std::string>("k-1"));
  // A retry returns the command even after it moved on.
  REQUIRE(f.commands.claim_next("CP1"));
  const auto later = f.commands.enqueue(request("CP1", "Reset", R"({"type":"Soft"})", "k-1"));
  CHECK(later.id == first.id);
  CHECK(later.status == CommandStatus::Sent);
  // Keys are per pile; without a key every request is a new command.
  CHECK(f.commands.enqueue(request("CP2", "Reset", R"({"type":"Soft"})", "k-1")).id != first.id);
  const auto a = f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  const auto b = f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  CHECK(a.id != b.id);
  CHECK(f.commands.list({}).size() == 4);
}

TEST_CASE("list filters by pile and status, newest first, with paging") {
  Fixture f;
  std::vector<std::int64_t> cp1;
  for (int i = 0; i < 5; ++i)
    cp1.push_back(f.commands.enqueue(request("CP1", "ClearCache", "{}")).id);
  const auto cp2 = f.commands.enqueue(request("CP2", "ClearCache", "{}")).id;
  REQUIRE(f.commands.claim_next("CP1"));  // cp1[0] is now sent

  CommandFilter by_pile;
  by_pile.charge_point_id = "CP1";
  auto listed = f.commands.list(by_pile);
  REQUIRE(listed.size() == 5);
  CHECK(listed.front().id == cp1.back());
  CHECK(listed.back().id == cp1.front());

  CommandFilter sent;
  sent.status = CommandStatus::Sent;
  listed = f.commands.list(sent);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == cp1[0]);

  CommandFilter queued_cp2;
  queued_cp2.charge_point_id = "CP2";
  queued_cp2.status = CommandStatus::Queued;
  listed = f.commands.list(queued_cp2);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == cp2);

  CommandFilter page;
  page.limit = 2;
  listed = f.commands.list(page);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].id == cp2);
  page.before_id = listed[1].id;
  listed = f.commands.list(page);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].id == cp1[3]);
  CHECK(listed[1].id == cp1[2]);
}

TEST_CASE("a queued command past its expiry is expired and never claimed") {
  Fixture f;
  const auto old = f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  const auto fresh = f.commands.enqueue(request("CP1", "Reset", R"({"type":"Hard"})"));
  f.test.scalar("UPDATE commands SET expires_at = now() - interval '1 second' WHERE id = " +
                std::to_string(old.id));
  const auto found = f.commands.find(old.id);
  REQUIRE(found);
  CHECK(found->status == CommandStatus::Expired);
  CHECK(found->completed_at);
  const auto claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  CHECK(claimed->id == fresh.id);
  CHECK(f.commands.find(old.id)->status == CommandStatus::Expired);
}

TEST_CASE("claiming: oldest first, one outstanding per pile, release keeps the place") {
  Fixture f;
  const auto first = f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  const auto second = f.commands.enqueue(request("CP1", "Reset", R"({"type":"Soft"})"));
  const auto other = f.commands.enqueue(request("CP2", "ClearCache", "{}"));

  auto claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  CHECK(claimed->id == first.id);
  CHECK(claimed->status == CommandStatus::Sent);
  CHECK(claimed->sent_at);
  CHECK(f.test.scalar("SELECT claimed_by FROM commands WHERE id = " + std::to_string(first.id)) ==
        "node-test");
  // The pile has an unanswered command: nothing else goes meanwhile.
  CHECK_FALSE(f.commands.claim_next("CP1"));
  // Other piles are independent.
  REQUIRE(f.commands.claim_next("CP2"));
  CHECK(f.commands.find(other.id)->status == CommandStatus::Sent);

  // Never written to the pile: back in the queue, still first.
  CHECK(f.commands.release(first));
  CHECK(f.commands.find(first.id)->status == CommandStatus::Queued);
  CHECK_FALSE(f.commands.find(first.id)->sent_at);
  claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  CHECK(claimed->id == first.id);

  CHECK(f.commands.complete(*claimed, "{}"));
  const auto done = f.commands.find(first.id);
  CHECK(done->status == CommandStatus::Completed);
  CHECK(done->response_json == std::optional<std::string>("{}"));
  CHECK(done->completed_at);
  // A finished command is never changed again, nor put back.
  CHECK_FALSE(f.commands.complete(*claimed, "{}"));
  CHECK_FALSE(f.commands.release(first));
  CHECK_FALSE(f.commands.time_out(first.id, "late"));
  CHECK(f.commands.find(first.id)->status == CommandStatus::Completed);

  claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  CHECK(claimed->id == second.id);
  CHECK(f.commands.fail(second.id, "NotSupported", "no resets here", R"({"why":"policy"})"));
  const auto failed = f.commands.find(second.id);
  CHECK(failed->status == CommandStatus::Failed);
  CHECK(failed->error_code == std::optional<std::string>("NotSupported"));
  CHECK(failed->error_description == std::optional<std::string>("no resets here"));
  CHECK(failed->response_json == std::optional<std::string>(R"({"why":"policy"})"));
  CHECK_FALSE(f.commands.claim_next("CP1"));
}

TEST_CASE("concurrent claimers of one pile never get two commands out") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      if (f.commands.claim_next("CP1")) ++claimed;
      f.test.db().release_thread_connection();
    });
  for (auto& t : threads) t.join();
  CHECK(claimed == 1);
  CommandFilter sent;
  sent.status = CommandStatus::Sent;
  CHECK(f.commands.list(sent).size() == 1);
}

TEST_CASE("unanswered sent commands time out and are not claimed again") {
  Fixture f;
  const auto a = f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  const auto b = f.commands.enqueue(request("CP2", "ClearCache", "{}"));
  REQUIRE(f.commands.claim_next("CP1"));
  REQUIRE(f.commands.claim_next("CP2"));

  // The pile reconnected: its old CALL cannot be answered any more.
  CHECK(f.commands.time_out_unanswered("CP1") == 1);
  auto timed_out = f.commands.find(a.id);
  CHECK(timed_out->status == CommandStatus::Timeout);
  CHECK(timed_out->error_code == std::optional<std::string>("Timeout"));
  CHECK_FALSE(f.commands.claim_next("CP1"));

  // Stale: only those sent longer ago than the age.
  CHECK(f.commands.time_out_stale(std::chrono::hours(1)) == 0);
  CHECK(f.commands.find(b.id)->status == CommandStatus::Sent);
  f.test.scalar("UPDATE commands SET sent_at = now() - interval '2 hours' WHERE id = " +
                std::to_string(b.id));
  CHECK(f.commands.time_out_stale(std::chrono::hours(1)) == 1);
  CHECK(f.commands.find(b.id)->status == CommandStatus::Timeout);
}

TEST_CASE("answered commands keep their effects on the pile's stored state") {
  Fixture f;
  auto run = [&](const std::string& action, const std::string& payload,
                 const std::string& response) {
    const auto queued = f.commands.enqueue(request("CP1", action, payload));
    const auto claimed = f.commands.claim_next("CP1");
    REQUIRE(claimed);
    REQUIRE(claimed->id == queued.id);
    REQUIRE(f.commands.complete(*claimed, response));
  };

  run("GetConfiguration", "{}",
      R"({"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"300"},)"
      R"({"key":"NumberOfConnectors","readonly":true,"value":"2"},{"key":"NoValue","readonly":false}],)"
      R"("unknownKey":["Foo"]})");
  auto keys = f.commands.configuration("CP1");
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].key == "HeartbeatInterval");
  CHECK(keys[0].value == std::optional<std::string>("300"));
  CHECK_FALSE(keys[0].readonly);
  CHECK(keys[1].key == "NoValue");
  CHECK_FALSE(keys[1].value);
  CHECK(keys[2].key == "NumberOfConnectors");
  CHECK(keys[2].readonly);
  CHECK(f.commands.configuration("CP2").empty());

  run("ChangeConfiguration", R"({"key":"HeartbeatInterval","value":"60"})",
      R"({"status":"Accepted"})");
  run("ChangeConfiguration", R"({"key":"MeterValueSampleInterval","value":"10"})",
      R"({"status":"Rejected"})");
  keys = f.commands.configuration("CP1");
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].value == std::optional<std::string>("60"));

  CHECK_FALSE(f.commands.local_list_version("CP1"));
  run("SendLocalList", R"({"listVersion":7,"updateType":"Full","localAuthorizationList":[]})",
      R"({"status":"Accepted"})");
  CHECK(f.commands.local_list_version("CP1") == std::optional<int>(7));
  run("SendLocalList", R"({"listVersion":8,"updateType":"Full"})", R"({"status":"Failed"})");
  CHECK(f.commands.local_list_version("CP1") == std::optional<int>(7));
  run("GetLocalListVersion", "{}", R"({"listVersion":9})");
  CHECK(f.commands.local_list_version("CP1") == std::optional<int>(9));

  run("ReserveNow",
      R"({"connectorId":1,"expiryDate":"2030-01-01T10:00:00Z","idTag":"TAG1","reservationId":5})",
      R"({"status":"Accepted"})");
  run("ReserveNow",
      R"({"connectorId":2,"expiryDate":"2030-01-01T10:00:00Z","idTag":"TAG2","reservationId":6})",
      R"({"status":"Occupied"})");
  auto reservations = f.commands.reservations("CP1");
  REQUIRE(reservations.size() == 1);
  CHECK(reservations[0].reservation_id == 5);
  CHECK(reservations[0].connector_id == 1);
  CHECK(reservations[0].id_tag == "TAG1");
  CHECK(reservations[0].status == "active");
  CHECK(reservations[0].expiry_date == *parse_rfc3339("2030-01-01T10:00:00Z"));
  run("CancelReservation", R"({"reservationId":5})", R"({"status":"Accepted"})");
  reservations = f.commands.reservations("CP1");
  REQUIRE(reservations.size() == 1);
  CHECK(reservations[0].status == "cancelled");
}

TEST_CASE("an enqueue wakes listeners with the pile's id, nothing else does") {
  Fixture f;
  auto wakeups = f.commands.listen();
  CHECK(wakeups->wait(std::chrono::milliseconds(100)).empty());
  const auto started = std::chrono::steady_clock::now();
  f.commands.enqueue(request("CP2", "ClearCache", "{}"));
  std::vector<std::string> ids;
  eventually_meanwhile([&] { return !ids.empty(); },
                       [&] { ids = wakeups->wait(std::chrono::milliseconds(200)); },
                       std::chrono::seconds(3));
  CHECK(ids == std::vector<std::string>{"CP2"});
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
  // Wake-ups until a probe enqueued for CP2 is announced: the listener gets
  // notifications in commit order, so one sent before the probe shows here.
  const auto announced_until_probe = [&] {
    f.commands.enqueue(request("CP2", "ClearCache", "{}"));
    std::vector<std::string> announced;
    eventually_meanwhile(
        [&] { return std::find(announced.begin(), announced.end(), "CP2") != announced.end(); },
        [&] {
          for (auto& id : wakeups->wait(std::chrono::milliseconds(200))) announced.push_back(id);
        },
        std::chrono::seconds(3));
    return announced;
  };
  // A retried idempotent request queues nothing and wakes nobody.
  f.commands.enqueue(request("CP1", "ClearCache", "{}", "same"));
  CHECK(wakeups->wait(std::chrono::milliseconds(500)) == std::vector<std::string>{"CP1"});
  f.commands.enqueue(request("CP1", "ClearCache", "{}", "same"));
  CHECK(announced_until_probe() == std::vector<std::string>{"CP2"});
  // A rejected command wakes nobody either.
  CHECK_THROWS_AS(f.commands.enqueue(request("CP1", "Reset", "{}")), InvalidCommand);
  CHECK(announced_until_probe() == std::vector<std::string>{"CP2"});
}

TEST_CASE("the safety-net scan names only piles with queued commands held by this node") {
  Fixture f;
  f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  f.commands.enqueue(request("CP2", "ClearCache", "{}"));
  CHECK(f.commands.charge_points_with_queued().empty());  // nobody is connected
  f.central.charge_points().connected("CP1");
  f.central.charge_points().connected("CP2");
  auto ids = f.commands.charge_points_with_queued();
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"CP1", "CP2"});
  REQUIRE(f.commands.claim_next("CP2"));  // CP2 has nothing queued any more
  CHECK(f.commands.charge_points_with_queued() == std::vector<std::string>{"CP1"});
  f.central.charge_points().disconnected("CP1");
  CHECK(f.commands.charge_points_with_queued().empty());
}

TEST_CASE("a batch's wake-up names its command ids, and the lookup reads only those") {
  using chargelock::core::CommandIdRange;
  CHECK(chargelock::core::batch_wakeup({12, 345}) == "*12-345");
  const auto parsed = chargelock::core::parse_batch_wakeup("*12-345");
  REQUIRE(parsed);
  CHECK((parsed->first == 12 && parsed->last == 345));
  for (const char* other : {"*", "CP1", "*12", "*12-", "*-3", "*12-3", "*1-2x", "*a-b", "12-345"})
    CHECK_FALSE(chargelock::core::parse_batch_wakeup(other));
  const auto widened = chargelock::core::covering(CommandIdRange{12, 345}, {7, 20});
  CHECK((widened.first == 7 && widened.last == 345));
  const auto first_one = chargelock::core::covering(std::nullopt, {5, 5});
  CHECK((first_one.first == 5 && first_one.last == 5));

  Fixture f;
  const auto first = f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  const auto second = f.commands.enqueue(request("CP2", "ClearCache", "{}"));
  f.central.charge_points().connected("CP1");
  f.central.charge_points().connected("CP2");
  CHECK(f.commands.charge_points_with_queued(CommandIdRange{second.id, second.id}) ==
        std::vector<std::string>{"CP2"});
  CHECK(f.commands.charge_points_with_queued(CommandIdRange{first.id, first.id}) ==
        std::vector<std::string>{"CP1"});
  CHECK(f.commands.charge_points_with_queued(CommandIdRange{second.id + 1, second.id + 9}).empty());
  auto both = f.commands.charge_points_with_queued(CommandIdRange{first.id, second.id});
  std::sort(both.begin(), both.end());
  CHECK(both == std::vector<std::string>{"CP1", "CP2"});
}

TEST_CASE("enqueue_many queues every command in order, wakes each pile, all or none") {
  Fixture f;
  auto wakeups = f.commands.listen();
  CHECK(wakeups->wait(std::chrono::milliseconds(100)).empty());  // listening from here
  std::vector<CommandRequest> requests;
  for (int i = 0; i < 3; ++i)
    requests.push_back(request(i % 2 ? "CP2" : "CP1", "ClearCache", "{}"));
  requests.push_back(request("CP2", "Reset", R"({"type":"Soft"})"));
  const auto queued = f.commands.enqueue_many(requests);
  REQUIRE(queued.size() == 4);
  for (std::size_t i = 0; i < queued.size(); ++i) {
    CHECK(queued[i].charge_point_id == requests[i].charge_point_id);
    CHECK(queued[i].action == requests[i].action);
    CHECK(queued[i].status == CommandStatus::Queued);
    if (i > 0) CHECK(queued[i].id > queued[i - 1].id);
  }
  CHECK(f.commands.find(queued[3].id)->payload_json == R"({"type":"Soft"})");
  std::set<std::string> woken;
  eventually_meanwhile([&] { return !woken.empty(); },
                       [&] {
                         for (const auto& id : wakeups->wait(std::chrono::milliseconds(200)))
                           woken.insert(id);
                       },
                       std::chrono::seconds(3));
  // One notification for the batch (its ids: every node looks its piles up
  // among them), not one per pile.
  CHECK(woken ==
        std::set<std::string>{chargelock::core::batch_wakeup({queued[0].id, queued[3].id})});
  // Claimed oldest first, like commands queued one by one.
  CHECK(f.commands.claim_next("CP2")->id == queued[1].id);

  // One bad request refuses them all; one unknown pile queues none.
  const auto before = f.commands.list({}).size();
  CHECK_THROWS_AS(
      f.commands.enqueue_many({request("CP1", "ClearCache", "{}"), request("CP1", "Reset", "{}")}),
      InvalidCommand);
  CHECK_THROWS_AS(f.commands.enqueue_many({request("CP1", "ClearCache", "{}", "key")}),
                  InvalidCommand);
  CHECK_THROWS_AS(f.commands.enqueue_many(
                      {request("CP1", "ClearCache", "{}"), request("NOPE", "ClearCache", "{}")}),
                  chargelock::core::RowNotFoundError);
  CHECK(f.commands.list({}).size() == before);
}

// ------------------------------------------------------------ secrets (SPEC §7)

namespace {

CentralSystemConfig keyed_config() {
  CentralSystemConfig c = config();
  c.secrets = SecretBox(*SecretBox::parse_key(std::string(64, '7')));
  return c;
}

// As Fixture, with a secret key: queued secrets are sealed.
struct KeyedFixture {
  TestDatabase test;
  CentralSystem central{test.db(), keyed_config()};
  chargelock::ocpp::OcppCommandValidator validator;
  CommandService& commands = central.commands();

  KeyedFixture() {
    central.set_command_validator(&validator);
    REQUIRE(central.charge_points().register_charge_point(
        {"CP1", "old-password-0123456789", 1, std::nullopt, {}}));
    central.directory().reload();
  }

  AccessDecision connect(const std::string& password) {
    AccessAttempt attempt;
    attempt.charge_point_id = "CP1";
    attempt.basic_user = "CP1";
    attempt.basic_password = password;
    // As the OCPP node does: a password decide() cannot judge without
    // PBKDF2 is checked by verify() (off the loop).
    const AccessDecision decision = central.directory().decide(attempt);
    return decision == AccessDecision::Verify ? central.directory().verify(attempt) : decision;
  }
};

const char* const kKeyChange = R"({"key":"AuthorizationKey","value":"new-key-0123456789abc"})";

}  // namespace

TEST_CASE("a queued AuthorizationKey is stored as \"***\" and sealed beside it") {
  KeyedFixture f;
  const auto queued = f.commands.enqueue(request("CP1", "ChangeConfiguration", kKeyChange));
  CHECK(queued.payload_json == R"({"key":"AuthorizationKey","value":"***"})");
  CHECK(f.commands.find(queued.id)->payload_json == queued.payload_json);
  const std::string row = f.test.scalar("SELECT payload || ' ' || secret FROM commands");
  CHECK_THAT(row, !Catch::Contains("new-key"));
  CHECK_THAT(row, Catch::Contains("aes256gcm:"));

  // Delivery gets the key back; the record shown to anyone else does not,
  // and the row keeps no secret once the command is on its way.
  auto claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  CHECK(claimed->payload_json == kKeyChange);
  CHECK(f.commands.find(queued.id)->payload_json == queued.payload_json);
  CHECK(f.test.scalar("SELECT secret FROM commands") == "NULL");

  // Never written (the pile left): queued again with its key sealed again.
  REQUIRE(f.commands.release(*claimed));
  CHECK_THAT(f.test.scalar("SELECT secret FROM commands"), Catch::StartsWith("aes256gcm:"));
  claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  CHECK(claimed->payload_json == kKeyChange);
}

TEST_CASE("a command whose key is gone is failed, never sent with \"***\"") {
  KeyedFixture f;
  const auto queued = f.commands.enqueue(request("CP1", "ChangeConfiguration", kKeyChange));
  REQUIRE(f.commands.claim_next("CP1"));
  // Put back from a record that only shows "***" (as GET /commands does).
  REQUIRE(f.commands.release(queued));
  CHECK_FALSE(f.commands.claim_next("CP1"));
  const auto failed = f.commands.find(queued.id);
  CHECK(failed->status == CommandStatus::Failed);
  CHECK(failed->error_code == std::optional<std::string>("SecretUnavailable"));
}

TEST_CASE(
    "an accepted AuthorizationKey becomes the pile's password and the old one stops working") {
  KeyedFixture f;
  REQUIRE(f.connect("old-password-0123456789") == AccessDecision::Accept);
  f.commands.enqueue(request("CP1", "ChangeConfiguration", kKeyChange));
  const auto claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  REQUIRE(f.commands.complete(*claimed, R"({"status":"Accepted"})"));

  CHECK(f.test.scalar("SELECT count(*) FROM commands WHERE secret IS NOT NULL") == "0");
  const auto keys = f.commands.configuration("CP1");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].value == std::optional<std::string>("***"));
  // The directory knows at once (no reload); so does the database.
  CHECK(f.connect("new-key-0123456789abc") == AccessDecision::Accept);
  CHECK(f.connect("old-password-0123456789") == AccessDecision::Unauthorized);
  f.central.directory().reload();
  CHECK(f.connect("new-key-0123456789abc") == AccessDecision::Accept);
}

TEST_CASE("a rejected AuthorizationKey leaves the password and other keys change nothing") {
  KeyedFixture f;
  f.commands.enqueue(request("CP1", "ChangeConfiguration", kKeyChange));
  auto claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  REQUIRE(f.commands.complete(*claimed, R"({"status":"Rejected"})"));
  CHECK(f.test.scalar("SELECT count(*) FROM commands WHERE secret IS NOT NULL") == "0");
  f.central.directory().reload();
  CHECK(f.connect("old-password-0123456789") == AccessDecision::Accept);

  f.commands.enqueue(
      request("CP1", "ChangeConfiguration", R"({"key":"HeartbeatInterval","value":"60"})"));
  claimed = f.commands.claim_next("CP1");
  REQUIRE(claimed);
  CHECK(f.test.scalar("SELECT count(*) FROM commands WHERE secret IS NOT NULL") == "0");
  REQUIRE(f.commands.complete(*claimed, R"({"status":"Accepted"})"));
  CHECK(f.commands.configuration("CP1")[0].value == std::optional<std::string>("60"));
  f.central.directory().reload();
  CHECK(f.connect("old-password-0123456789") == AccessDecision::Accept);
}

TEST_CASE("a secret sealed with another key fails its command instead of sending \"***\"") {
  KeyedFixture f;
  const auto queued = f.commands.enqueue(request("CP1", "ChangeConfiguration", kKeyChange));
  const auto next = f.commands.enqueue(request("CP1", "ClearCache", "{}"));
  // Another process with another key delivers.
  CentralSystemConfig other = config();
  other.secrets = SecretBox(*SecretBox::parse_key(std::string(64, '8')));
  CentralSystem node{f.test.db(), other};
  node.set_command_validator(&f.validator);
  const auto claimed = node.commands().claim_next("CP1");
  REQUIRE(claimed);
  CHECK(claimed->id == next.id);
  const auto failed = f.commands.find(queued.id);
  CHECK(failed->status == CommandStatus::Failed);
  CHECK(failed->error_code == std::optional<std::string>("SecretUnavailable"));
}

TEST_CASE("expired and timed-out commands drop their secret") {
  KeyedFixture f;
  auto r = request("CP1", "ChangeConfiguration", kKeyChange);
  f.commands.enqueue(r);
  REQUIRE(f.commands.claim_next("CP1"));
  CHECK(f.commands.time_out_unanswered("CP1") == 1);
  r.expires_in = std::chrono::seconds(1);
  f.commands.enqueue(r);
  f.test.scalar(
      "UPDATE commands SET expires_at = now() - interval '1 second' WHERE status = 'queued'");
  CHECK(f.commands.expire_overdue() == 1);
  CHECK(f.test.scalar("SELECT count(*) FROM commands WHERE secret IS NOT NULL") == "0");
}

TEST_CASE("a reservation past its expiry date ends and frees its connector, a later one stays") {
  Fixture f;
  auto reserve = [&](int connector, int reservation_id, const std::string& expiry) {
    const auto queued = f.commands.enqueue(request(
        "CP1", "ReserveNow",
        fmt::format(R"({{"connectorId":{},"expiryDate":"{}","idTag":"TAG","reservationId":{}}})",
                    connector, expiry, reservation_id)));
    const auto claimed = f.commands.claim_next("CP1");
    REQUIRE(claimed);
    REQUIRE(claimed->id == queued.id);
    REQUIRE(f.commands.complete(*claimed, R"({"status":"Accepted"})"));
  };
  auto connector_status = [&](int connector) {
    for (const auto& c : f.central.charge_points().connectors("CP1"))
      if (c.connector_id == connector) return c.status;
    return std::string("(none)");
  };
  // The pile reports both connectors Reserved, as it does after ReserveNow.
  for (int connector : {1, 2}) {
    ConnectorStatus status;
    status.charge_point_id = "CP1";
    status.connector_id = connector;
    status.status = "Reserved";
    status.error_code = "NoError";
    REQUIRE(f.central.charge_points().status_notification(status));
  }
  reserve(1, 11, "2020-01-01T00:00:00Z");  // already past
  reserve(2, 12, "2099-01-01T00:00:00Z");

  CHECK(f.commands.expire_reservations() == 1);
  const auto reservations = f.commands.reservations("CP1");
  REQUIRE(reservations.size() == 2);
  for (const auto& r : reservations) {
    INFO(r.reservation_id);
    CHECK(r.status == (r.reservation_id == 11 ? "expired" : "active"));
  }
  CHECK(connector_status(1) == "Available");
  CHECK(connector_status(2) == "Reserved");
  // Nothing left to end: a second sweep changes nothing.
  CHECK(f.commands.expire_reservations() == 0);
}
