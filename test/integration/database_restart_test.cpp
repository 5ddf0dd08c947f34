// SPEC §7 "Faults": PostgreSQL restarted (pg_ctl restart -m fast) while 24
// piles run transactions with MeterValues. Nothing the central system
// answered may be lost, and it must serve again within 10 s of the database
// coming back, by itself. While the database is away a pile gets a CALLERROR
// InternalError (docs/architecture.md, "When the database is away") and, as
// OCPP 1.6 asks for transaction-related messages, retries the same frame
// (same message id) until it gets a CALLRESULT.
//
// The test runs its own PostgreSQL cluster: restarting the shared one would
// break the tests running beside it.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <thread>
#include <vector>

#include "core/central_system.h"
#include "ocpp/command_validator.h"
#include "storage/database.h"
#include "test/support/eventually.h"
#include "test/support/http_test_client.h"
#include "test/support/ocpp_test_pile.h"
#include "test/support/private_cluster.h"
#include "test/support/server_process.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPiles = 24;

std::string pile_password(int n) { return fmt::format("restart-secret-{}-long-enough", n); }

// What one pile saw. Written by its thread; read by the test after join,
// except the atomics.
struct PileRun {
  std::string id;
  std::string password;
  int transaction_id = 0;
  std::vector<int> acknowledged;  // meter values answered with a CALLRESULT
  bool started = false;
  bool stopped = false;
  int internal_errors = 0;
  int frames_sent = 0;                            // CALLs written, retries included
  std::optional<Clock::time_point> served_again;  // first CALLRESULT after the restart
  std::string failure;
  std::atomic<int> acks{0};
  std::atomic<bool> served_after_restart{false};
};

// A pile as OCPP 1.6 describes a careful one: a CALL answered with a
// CALLERROR InternalError is sent again (same frame, same message id) after
// a short pause, until it gets a CALLRESULT. Returns the CALLRESULT frame,
// or nothing (with run.failure set) on any other answer or none.
std::optional<rapidjson::Document> call_until_answered(OcppTestPile& pile, PileRun& run,
                                                       const std::string& frame) {
  std::optional<rapidjson::Document> result;
  eventually(
      [&] {
        rapidjson::Document reply;
        try {
          ++run.frames_sent;
          reply = pile.exchange(frame);
        } catch (const std::exception& e) {
          run.failure = e.what();
          return true;
        }
        if (reply[0].GetInt() == 3) {
          result = std::move(reply);
          return true;
        }
        const std::string code = reply[2].GetString();
        if (code != "InternalError") {
          run.failure = "unexpected CALLERROR " + code + " to " + frame;
          return true;
        }
        ++run.internal_errors;
        return false;
      },
      60s, 200ms);  // a pile's retry interval: the client's pace, not an assertion
  if (!result && run.failure.empty()) run.failure = "no CALLRESULT within 60 s for " + frame;
  return result;
}

void drive_pile(const std::string& url, PileRun& run, const std::atomic<bool>& stop,
                const std::atomic<Clock::rep>& restarted_at) {
  OcppTestPile pile(run.id);
  WsClientOptions options;
  options.basic_user = run.id;
  options.basic_password = run.password;
  if (!pile.connect(url, options).connected) {
    run.failure = "could not connect";
    return;
  }
  int next = 1;
  auto frame = [&](const std::string& action, const std::string& payload) {
    return fmt::format(R"([2,"{}-{}","{}",{}])", run.id, next++, action, payload);
  };
  if (!call_until_answered(
          pile, run,
          frame("BootNotification",
                R"({"chargePointVendor":"ChargeLock","chargePointModel":"Fault"})")))
    return;
  auto started = call_until_answered(
      pile, run,
      frame("StartTransaction",
            fmt::format(R"({{"connectorId":1,"idTag":"TAG-OK","meterStart":0,"timestamp":"{}"}})",
                        now_rfc3339())));
  if (!started) return;
  run.transaction_id = (*started)[2]["transactionId"].GetInt();
  run.started = true;

  int meter = 0;
  while (!stop) {
    ++meter;
    const auto answer = call_until_answered(
        pile, run,
        frame(
            "MeterValues",
            fmt::format(R"({{"connectorId":1,"transactionId":{},"meterValue":[{{"timestamp":"{}",)"
                        R"("sampledValue":[{{"value":"{}"}}]}}]}})",
                        run.transaction_id, now_rfc3339(), meter)));
    if (!answer) return;
    run.acknowledged.push_back(meter);
    const Clock::rep restarted = restarted_at.load();
    if (restarted != 0 && !run.served_again) {
      run.served_again = Clock::now();
      run.served_after_restart = true;
    }
    ++run.acks;
    std::this_thread::sleep_for(100ms);  // the client's pace, not an assertion
  }
  if (!call_until_answered(
          pile, run,
          frame("StopTransaction",
                fmt::format(
                    R"({{"transactionId":{},"meterStop":{},"timestamp":"{}","reason":"Local"}})",
                    run.transaction_id, meter, now_rfc3339()))))
    return;
  run.stopped = true;
}

}  // namespace

TEST_CASE("a PostgreSQL restart under load loses nothing answered and serving resumes by itself") {
  PrivateCluster cluster;
  const std::string admin_token = "restart-test-admin-token-0123456789";
  const std::map<std::string, std::string> env = {{"CHARGELOCK_DATABASE_URL", cluster.url()},
                                                  {"CHARGELOCK_ADMIN_TOKEN", admin_token}};
  {
    storage::Database database(cluster.url());
    database.migrate();
    core::CentralSystemConfig config;
    config.message_log = false;
    core::CentralSystem central(database, config);
    core::IdTag tag;
    tag.id_tag = "TAG-OK";
    central.authorization().put_id_tag(tag);
  }
  {
    auto [code, output] =
        ServerProcess::run({"chargepoint", "add-range", "RS-", "1", std::to_string(kPiles + 1),
                            "--password-pattern", "restart-secret-{n}-long-enough"},
                           env);
    INFO(output);
    REQUIRE(code == 0);
  }
  // OCPP and the REST API in one process: both must come back.
  ServerProcess server({"serve", "--ocpp-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0"},
                       env, {"ocpp ws", "api"});
  HttpTestClient api(server.port("api"), admin_token);
  REQUIRE(api.get("/api/v1/chargepoints").status == 200);
  const std::string url = fmt::format("ws://127.0.0.1:{}", server.port("ocpp ws"));

  std::vector<std::unique_ptr<PileRun>> runs;
  for (int n = 1; n <= kPiles; ++n) {
    auto run = std::make_unique<PileRun>();
    run->id = fmt::format("RS-{}", n);
    run->password = pile_password(n);
    runs.push_back(std::move(run));
  }
  // One more pile only listens: it receives a command queued after the
  // restart (the command listener and its LISTEN connection came back).
  OcppTestPile listener(fmt::format("RS-{}", kPiles + 1));
  {
    WsClientOptions options;
    options.basic_user = listener.id();
    options.basic_password = pile_password(kPiles + 1);
    REQUIRE(listener.connect(url, options).connected);
    // Commands go only to a pile whose boot was accepted (OCPP 1.6 §4.2).
    listener.call_ok("BootNotification",
                     R"({"chargePointVendor":"ChargeLock","chargePointModel":"Listener"})");
  }

  std::atomic<bool> stop{false};
  std::atomic<Clock::rep> restarted_at{0};
  std::vector<std::thread> threads;
  for (auto& run : runs)
    threads.emplace_back([&, r = run.get()] { drive_pile(url, *r, stop, restarted_at); });
  struct Joiner {
    std::vector<std::thread>& threads;
    std::atomic<bool>& stop;
    ~Joiner() {
      stop = true;
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } joiner{threads, stop};

  auto all = [&](auto predicate) {
    for (auto& run : runs)
      if (!predicate(*run)) return false;
    return true;
  };
  // Every pile is in a transaction and has had samples answered.
  REQUIRE(eventually([&] { return all([](PileRun& r) { return r.acks >= 5; }); }, 60s, 20ms));

  // Queues a ClearCache for the listening pile, waits for the CALL, answers
  // it; returns how long the CALL took to arrive.
  auto deliver_command = [&] {
    storage::Database database(cluster.url());
    core::CentralSystemConfig config;
    config.message_log = false;
    config.node_id = "test-enqueuer";
    core::CentralSystem central(database, config);
    ocpp::OcppCommandValidator validator;
    central.set_command_validator(&validator);
    core::CommandRequest request;
    request.charge_point_id = listener.id();
    request.action = "ClearCache";
    request.payload_json = "{}";
    const auto queued_at = Clock::now();
    central.commands().enqueue(request);
    const auto call = listener.client().receive(10s);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - queued_at).count();
    REQUIRE(call);
    rapidjson::Document frame;
    frame.Parse(call->c_str());
    REQUIRE((frame.IsArray() && frame[0].GetInt() == 2));
    CHECK(std::string(frame[2].GetString()) == "ClearCache");
    listener.client().send_text(
        fmt::format(R"([3,"{}",{{"status":"Accepted"}}])", frame[1].GetString()));
    return ms;
  };
  const double command_before_ms = deliver_command();

  const auto restart_began = Clock::now();
  cluster.restart();
  const auto back = Clock::now();  // pg_ctl -w: accepting connections again
  restarted_at = back.time_since_epoch().count();
  std::vector<int> acks_at_restart;
  for (auto& run : runs) acks_at_restart.push_back(run->acks);
  // The REST API serves again too (its workers' connections were ended).
  double api_ms = -1;
  if (eventually([&] { return api.get("/api/v1/chargepoints").status == 200; }, 10s, 20ms))
    api_ms = std::chrono::duration<double, std::milli>(Clock::now() - back).count();

  // Serving again: every pile gets its MeterValues answered, and keeps going.
  const bool resumed = eventually(
      [&] {
        for (std::size_t i = 0; i < runs.size(); ++i)
          if (!runs[i]->served_after_restart || runs[i]->acks < acks_at_restart[i] + 5)
            return false;
        return true;
      },
      30s, 20ms);
  // A command queued now reaches its pile.
  const double command_after_ms = resumed ? deliver_command() : -1;
  stop = true;
  for (auto& t : threads) t.join();

  for (auto& run : runs) {
    INFO(run->id << ": " << run->failure);
    CHECK(run->failure.empty());
  }
  REQUIRE(resumed);

  double worst_ms = 0;
  int internal_errors = 0;
  for (auto& run : runs) {
    worst_ms = std::max(
        worst_ms, std::chrono::duration<double, std::milli>(*run->served_again - back).count());
    internal_errors += run->internal_errors;
  }
  std::printf(
      "database restart: pg_ctl restart took %.0f ms; every pile served again %.0f ms after the "
      "database came back (worst of %d); %d CALLERROR InternalError answers while it was away; a "
      "command reached its pile %.0f ms after it was queued (%.0f ms before the restart); the "
      "REST API answered 200 again %.0f ms after the database came back\n",
      std::chrono::duration<double, std::milli>(back - restart_began).count(), worst_ms, kPiles,
      internal_errors, command_after_ms, command_before_ms, api_ms);
  CHECK(worst_ms < 10000);
  CHECK(api_ms >= 0);

  const int stopped = server.stop();
  INFO(server.output());
  CHECK(stopped == 0);

  // Everything answered is stored.
  pqxx::connection connection(cluster.url());
  pqxx::nontransaction query(connection);
  std::size_t answered = 0;
  std::size_t stored = 0;
  std::size_t missing = 0;
  for (auto& run : runs) {
    REQUIRE(run->started);
    REQUIRE(run->stopped);
    const auto transaction = query.exec_params(
        "SELECT stop_timestamp IS NOT NULL, meter_stop FROM transactions WHERE id = $1",
        run->transaction_id);
    REQUIRE(transaction.size() == 1);
    CHECK(transaction[0][0].as<bool>());
    std::set<std::string> values;
    for (const auto& row : query.exec_params(
             "SELECT value FROM meter_values WHERE transaction_id = $1", run->transaction_id))
      values.insert(row[0].as<std::string>());
    answered += run->acknowledged.size();
    stored += values.size();
    for (int meter : run->acknowledged)
      if (values.count(std::to_string(meter)) == 0) ++missing;
  }
  std::printf(
      "database restart: %zu MeterValues samples answered, %zu distinct stored, %zu answered but "
      "missing; %d StartTransaction and %d StopTransaction answered and stored\n",
      answered, stored, missing, kPiles, kPiles);
  CHECK(missing == 0);

  // The message log writer kept what it could not write while the database
  // was away: every frame the piles sent is in it.
  int frames_sent = 0;
  for (auto& run : runs) frames_sent += run->frames_sent;
  const auto logged =
      query.exec("SELECT count(*) FROM message_log WHERE direction = 'in' AND charge_point_id <> " +
                 query.quote(listener.id()));
  std::printf("database restart: %d frames sent by the piles, %s in the message log\n", frames_sent,
              logged[0][0].c_str());
  CHECK(logged[0][0].as<int>() == frames_sent);
}

// A database host that accepts the connection but never answers (a hung
// server, a half-open proxy): the start must not hang. libpq alone would
// wait forever; chargelock gives up after its 10 s connect timeout with one
// line and a non-zero exit.
TEST_CASE("a database that never answers at start: one line and a non-zero exit, no hang") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  REQUIRE(::listen(fd, 16) == 0);  // the kernel completes handshakes; nobody answers
  const int port = ntohs(address.sin_port);

  const auto began = Clock::now();
  auto [code, output] = ServerProcess::run(
      {"serve", "--ocpp-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0"},
      {{"CHARGELOCK_DATABASE_URL", fmt::format("postgresql://nobody@127.0.0.1:{}/none", port)}});
  const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  ::close(fd);
  INFO(output);
  std::printf("silent database at start: exit %d after %.1f s\n", code, seconds);
  CHECK(code != 0);
  CHECK(seconds < 30);
  const auto at = output.find("cannot connect to database");
  REQUIRE(at != std::string::npos);
  const auto line_start = output.rfind('\n', at);
  const auto line_end = output.find('\n', at);
  const std::string line =
      output.substr(line_start == std::string::npos ? 0 : line_start + 1,
                    line_end - (line_start == std::string::npos ? 0 : line_start + 1));
  CHECK(line.find("timeout") != std::string::npos);
  CHECK(line.find("127.0.0.1") != std::string::npos);
}
