// pilesim, the project's own pile simulator, driving the real central
// system: many piles booting over ws://, TLS piles over wss://, and a
// scripted charging session that ends up in the database. Each run ends once
// the database shows what the test looks for; its --duration is only the
// bound for a run that fails (room for a loaded machine).
#include <fcntl.h>
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include "core/central_system.h"
#include "ocpp/command_validator.h"
#include "test/support/child_command.h"
#include "test/support/eventually.h"
#include "test/support/server_process.h"
#include "test/support/test_certificates.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::test;

namespace {

// Runs pilesim until `done()` holds (asked every 100 ms) or its --duration
// (the upper bound, for a run that fails) is over, then stops it (SIGTERM:
// it prints its summary and exits); returns its --json summary (last line).
// `done` must be something that implies the counters the test reads (e.g.
// a row written for an answer the pile has already read).
rapidjson::Document run_pilesim(const std::vector<std::string>& args,
                                const std::function<bool()>& done) {
  std::vector<std::string> argv{PILESIM_BINARY, "--quiet", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  int out[2];
  REQUIRE(::pipe(out) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> c_args;
    for (auto& arg : argv) c_args.push_back(arg.data());
    c_args.push_back(nullptr);
    ::execv(c_args[0], c_args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string output;
  std::thread reader([&output, fd = out[0]] {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
      output.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
  });
  int status = 0;
  bool exited = false;
  // pilesim's --duration ends a run that fails; the 5 minutes (ctest's
  // time-out) only bound a pilesim that hangs.
  eventually(
      [&] {
        exited = ::waitpid(pid, &status, WNOHANG) != 0;
        return exited || done();
      },
      std::chrono::minutes(5), std::chrono::milliseconds(100));
  if (!exited) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, &status, 0);
  }
  reader.join();
  return pilesim_summary(output);
}

// Piles (by id pattern) that reported a connector status.
constexpr const char* kPilesReporting =
    "SELECT count(DISTINCT charge_point_id) FROM connectors WHERE charge_point_id LIKE ";
constexpr const char* kStoppedSessions =
    "SELECT count(*) FROM transactions WHERE id_tag = 'TAG-1001' AND stop_timestamp IS NOT NULL";
constexpr const char* kConnectorOneStatus =
    "SELECT status FROM connectors WHERE charge_point_id = 'SIM-1' AND connector_id = 1";

struct Fixture {
  TestDatabase database;
  TestCertificates certificates;
  std::map<std::string, std::string> env{{"CHARGELOCK_DATABASE_URL", database.url()}};

  void add(const std::string& id, std::vector<std::string> flags) {
    flags.insert(flags.begin(), {"chargepoint", "add", id});
    REQUIRE(ServerProcess::run(flags, env).first == 0);
  }

  ServerProcess start() {
    return ServerProcess(
        {"serve", "--ocpp-listen", "127.0.0.1:0", "--ocpp-tls-listen", "127.0.0.1:0",
         "--api-listen", "127.0.0.1:0", "--tls-cert", certificates.server().cert, "--tls-key",
         certificates.server().key, "--tls-ca", certificates.ca_file()},
        env, {"ocpp ws", "ocpp wss"});
  }
};

}  // namespace

TEST_CASE_METHOD(Fixture, "fifty simulated piles boot over ws:// and are known online") {
  for (int i = 1; i <= 50; ++i)
    add(fmt::format("SIM-{}", i), {"--password", fmt::format("pile-password-x{}", i)});
  ServerProcess server = start();
  const auto summary = run_pilesim(
      {"--url", fmt::format("ws://127.0.0.1:{}/ocpp", server.port("ocpp ws")), "--count", "50",
       "--password-pattern", "pile-password-x{n}", "--duration", "30"},
      // A pile reports its connectors once it has read its accepted boot.
      [&] { return database.scalar(kPilesReporting + std::string("'SIM-%'")) == "50"; });
  CHECK(summary["bootsAccepted"].GetInt() == 50);
  CHECK(summary["connectFailures"].GetInt() == 0);
  CHECK(summary["protocolErrors"].GetInt() == 0);
  CHECK(database.scalar("SELECT count(*) FROM charge_points WHERE model = 'PileSim'") == "50");
}

TEST_CASE_METHOD(Fixture, "simulated TLS piles boot with profile 2") {
  for (int i = 1; i <= 5; ++i)
    add(fmt::format("TLS-{}", i), {"--password", "tls-secret-password", "--profile", "2"});
  ServerProcess server = start();
  const auto summary =
      run_pilesim({"--url", fmt::format("wss://127.0.0.1:{}/ocpp", server.port("ocpp wss")),
                   "--count", "5", "--id-pattern", "TLS-{n}", "--password-pattern",
                   "tls-secret-password", "--ca", certificates.ca_file(), "--duration", "30"},
                  [&] { return database.scalar(kPilesReporting + std::string("'TLS-%'")) == "5"; });
  CHECK(summary["bootsAccepted"].GetInt() == 5);
}

TEST_CASE_METHOD(Fixture, "a scripted charging session is stored as a transaction") {
  add("SIM-1", {"--password", "pile-password-one"});
  {
    core::CentralSystemConfig config;
    config.message_log = false;
    core::CentralSystem central(database.db(), config);
    core::IdTag tag;
    tag.id_tag = "TAG-1001";
    central.authorization().put_id_tag(tag);
  }
  const std::string scenario = certificates.directory() + "/scenario.json";
  std::ofstream(scenario) << R"({"vehicles":{"commuter":{"idTag":"TAG-1001"}},"actions":[
      {"at":1,"action":"plug","pile":1,"connector":1,"vehicle":"commuter"},
      {"at":3,"action":"stop","pile":1,"connector":1},
      {"at":4,"action":"unplug","pile":1,"connector":1}]})";
  ServerProcess server = start();
  const auto summary = run_pilesim(
      {"--url", fmt::format("ws://127.0.0.1:{}/ocpp", server.port("ocpp ws")), "--password-pattern",
       "pile-password-one", "--scenario", scenario, "--duration", "30"},
      [&] {  // the pile counts a transaction when it sends its Start / Stop
        return database.scalar(kStoppedSessions) == "1" &&
               database.scalar(kConnectorOneStatus) == "Available";
      });
  CHECK(summary["transactionsStarted"].GetInt() == 1);
  CHECK(summary["transactionsStopped"].GetInt() == 1);
  CHECK(database.scalar(kStoppedSessions) == "1");
  CHECK(database.scalar(kConnectorOneStatus) == "Available");
}

TEST_CASE_METHOD(Fixture, "busy mode with a tag pool charges with tags the central system knows") {
  add("SIM-1", {"--password", "pile-password-one"});
  add("SIM-2", {"--password", "pile-password-one"});
  {
    core::CentralSystemConfig config;
    config.message_log = false;
    core::CentralSystem central(database.db(), config);
    for (const char* id : {"BUSY-1", "BUSY-2", "BUSY-3"}) {
      core::IdTag tag;
      tag.id_tag = id;
      central.authorization().put_id_tag(tag);
    }
  }
  ServerProcess server = start();
  const auto summary = run_pilesim(
      {"--url", fmt::format("ws://127.0.0.1:{}/ocpp", server.port("ocpp ws")), "--count", "2",
       "--connectors", "2", "--password-pattern", "pile-password-one", "--busy", "--busy-tags", "3",
       "--busy-idle", "1", "--busy-session", "2", "--duration", "30"},
      [&] { return database.scalar("SELECT count(*) FROM transactions") != "0"; });
  CHECK(summary["transactionsStarted"].GetInt() > 0);
  // (A tag already charging elsewhere is refused as ConcurrentTx: that can
  // happen with 3 tags on 4 connectors and is right.)
  CHECK(database.scalar("SELECT count(*) FROM transactions WHERE id_tag NOT IN "
                        "('BUSY-1', 'BUSY-2', 'BUSY-3')") == "0");
}

TEST_CASE_METHOD(
    Fixture, "a locked car charging at a hashed-matching pile is held at once, VIN never sent") {
  constexpr const char* kVin = "WVWZZZ1JZXW000001";
  const std::string password = "pile-password-0123456789";
  add("SIM-1", {"--password", password});
  core::CentralSystemConfig config;
  config.message_log = false;
  core::CentralSystem central(database.db(), config);
  const ocpp::OcppCommandValidator validator;
  central.set_command_validator(&validator);
  const auto owner =
      std::stoll(database.scalar("INSERT INTO owners (name) VALUES ('alice') RETURNING id"));
  core::IdTag card;
  card.id_tag = "BUSY-1";
  card.owner_id = owner;
  central.authorization().put_id_tag(card);
  central.vehicles().register_vehicle({owner, kVin, {"BUSY-1"}, {}});
  central.vehicles().verify(kVin, owner, {"operator:test", std::nullopt});

  ServerProcess server = start();
  // The owner locks while the thief's session with BUSY-1 is open.
  std::string lock_id;
  std::thread owner_app([&] {
    eventually(
        [&] {
          if (database.scalar("SELECT count(*) FROM transactions WHERE stop_timestamp IS NULL") ==
              "0")
            return false;
          lock_id = central.locks().request_lock({owner, kVin, {}}).lock.id;
          return true;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(50));
  });
  const auto summary = run_pilesim(
      {"--url", fmt::format("ws://127.0.0.1:{}/ocpp", server.port("ocpp ws")), "--count", "1",
       "--id-pattern", "SIM-{n}", "--password-pattern", password, "--busy", "--busy-tags", "1",
       "--busy-idle", "1", "--busy-session", "30", "--hashed-matching", "--duration", "30"},
      [&] {  // engaged, held by the pile, its LockVehicle logged
        return database.scalar("SELECT count(*) FROM vehicle_locks WHERE status = 'engaged'") ==
                   "1" &&
               database.scalar(
                   "SELECT count(*) FROM vehicle_lock_sightings WHERE source = "
                   "'VehicleLocked' AND held") != "0" &&
               database.scalar(
                   "SELECT count(*) FROM message_log WHERE direction = 'out'"
                   " AND frame LIKE '%LockVehicle%'") != "0";
      });
  owner_app.join();
  REQUIRE_FALSE(lock_id.empty());
  INFO(server.output());
  INFO(database.scalar(
      "SELECT string_agg(direction || ' ' || frame, E'\n' ORDER BY id) FROM message_log"));
  const auto lock = *central.locks().find(lock_id);
  CHECK(lock.lock.status == core::LockStatus::Engaged);
  CHECK(lock.lock.charge_point_id == std::optional<std::string>("SIM-1"));
  CHECK_FALSE(lock.lock.engaged_without_hold);  // the pile holds it
  bool held_report = false;
  for (const auto& seen : central.locks().sightings(lock_id))
    if (seen.source == "VehicleLocked" && seen.held) held_report = true;
  CHECK(held_report);
  // The pile declared hashed matching before the lock: its LockVehicle
  // carried hashes only.
  const std::string sent = database.scalar(
      "SELECT string_agg(frame, ' ') FROM message_log WHERE direction = 'out'"
      " AND frame LIKE '%LockVehicle%'");
  CHECK(sent.find("vinHash") != std::string::npos);
  CHECK(sent.find(kVin) == std::string::npos);
  CHECK(sent.find("BUSY-1") == std::string::npos);
  CHECK(summary["transactionsStarted"].GetInt() >= 1);
}
