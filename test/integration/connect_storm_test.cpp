// Boot and reconnect storms against the real program: hundreds of pilesim
// piles connect at once, every boot is Accepted, and the server's log shows
// no PostgreSQL deadlock and no failed handler or connect record. After a
// kill -9 the restarted node lets the same piles in again from the
// verified-credentials cache (no password hashed again), which lives in
// PostgreSQL as keyed hashes, never as passwords. With a lock armed on
// every pile when the node dies, the restarted piles (which forget what they
// were told when they boot) are each armed again with exactly one
// LockVehicle. The figures are printed; speed goals live in bench/.
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>

#include "core/central_system.h"
#include "ocpp/command_validator.h"
#include "test/support/child_command.h"
#include "test/support/eventually.h"
#include "test/support/pilesim_fleet.h"
#include "test/support/server_process.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr int kPiles = 300;
constexpr const char* kSecretKey =
    "8f0c1d2e3b4a59687766554433221100ffeeddccbbaa99887766554433221100";

rapidjson::Document run_pilesim(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--quiet", "--json"};
  all.insert(all.end(), args.begin(), args.end());
  const std::string output =
      run_command(shell_command(PILESIM_BINARY, all) + " 2>/dev/null").second;
  return pilesim_summary(output);
}

struct StormFixture {
  TestDatabase database;
  std::map<std::string, std::string> env{{"CHARGELOCK_DATABASE_URL", database.url()},
                                         {"CHARGELOCK_SECRET_KEY", kSecretKey}};

  StormFixture() {
    const auto added =
        ServerProcess::run({"chargepoint", "add-range", "STORM-", "1", std::to_string(kPiles),
                            "--password-pattern", "storm-pile-secret-{n}"},
                           env);
    INFO(added.second);
    REQUIRE(added.first == 0);
  }

  ServerProcess start() {
    // --workers 4: several group commits run at once, as in production.
    return ServerProcess({"serve", "--ocpp-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0",
                          "--ocpp-connect-rate", "0", "--workers", "4"},
                         env, {"ocpp ws"});
  }

  rapidjson::Document storm(const ServerProcess& server) {
    return run_pilesim({"--url", fmt::format("ws://127.0.0.1:{}/ocpp", server.port("ocpp ws")),
                        "--count", std::to_string(kPiles), "--id-pattern", "STORM-{n}",
                        "--password-pattern", "storm-pile-secret-{n}", "--rate", "5000",
                        // Ends 1 s after the last boot (waits up to 120 s).
                        "--flood", "heartbeat", "--flood-duration", "1", "--flood-wait", "120"});
  }

  std::string url(const ServerProcess& server) const {
    return fmt::format("ws://127.0.0.1:{}/ocpp", server.port("ocpp ws"));
  }

  // The piles, connected until killed.
  std::unique_ptr<PilesimFleet> fleet(const ServerProcess& server) {
    return std::make_unique<PilesimFleet>(std::vector<std::string>{
        "--url", url(server), "--count", std::to_string(kPiles), "--id-pattern", "STORM-{n}",
        "--password-pattern", "storm-pile-secret-{n}", "--rate", "5000", "--duration", "600",
        "--quiet"});
  }

  int count(const std::string& sql) { return std::stoi(database.scalar(sql)); }

  bool wait_for(const std::string& sql, const std::string& expected, std::chrono::seconds timeout) {
    return eventually([&] { return database.scalar(sql) == expected; }, timeout, 100ms);
  }
};

void check_clean_log(const std::string& log) {
  INFO(log);
  CHECK(log.find("deadlock") == std::string::npos);
  CHECK(log.find("handler failed") == std::string::npos);
  CHECK(log.find("failed:") == std::string::npos);  // recording connect/seen failed: ...
  CHECK(log.find("refused") == std::string::npos);
}

}  // namespace

TEST_CASE_METHOD(StormFixture, "a boot storm and a reconnect storm after kill -9 boot every pile") {
  ServerProcess first = start();
  auto started = std::chrono::steady_clock::now();
  const auto boot = storm(first);
  const double boot_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CHECK(boot["bootsAccepted"].GetInt() == kPiles);
  CHECK(boot["connectFailures"].GetInt() == 0);
  CHECK(boot["protocolErrors"].GetInt() == 0);
  // Every password that passed is remembered, as a keyed hash only.
  REQUIRE(wait_for("SELECT count(*) FROM charge_point_verified_credentials", std::to_string(kPiles),
                   10s));
  CHECK(database.scalar("SELECT count(*) FROM charge_point_verified_credentials"
                        " WHERE mac LIKE '%storm-pile-secret%' OR length(mac) <> 64") == "0");
  check_clean_log(first.output());

  // A crash: nothing is closed, nothing is saved on the way out.
  first.stop(/*kill_hard=*/true);
  ServerProcess second = start();
  started = std::chrono::steady_clock::now();
  const auto reconnect = storm(second);
  const double reconnect_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CHECK(reconnect["bootsAccepted"].GetInt() == kPiles);
  CHECK(reconnect["connectFailures"].GetInt() == 0);
  CHECK(reconnect["protocolErrors"].GetInt() == 0);
  check_clean_log(second.output());
  CHECK(database.scalar("SELECT count(*) FROM charge_points WHERE id LIKE 'STORM-%'"
                        " AND last_boot_at IS NOT NULL") == std::to_string(kPiles));
  const auto booted_after = [](const rapidjson::Document& summary) {
    return summary["allBootedSeconds"].IsNumber() ? summary["allBootedSeconds"].GetDouble() : -1;
  };
  std::printf(
      "connect storm, %d piles: all booted after %.2f s; after kill -9 and a restart,"
      " all booted again after %.2f s (pilesim runs %.1f s / %.1f s)\n",
      kPiles, booted_after(boot), booted_after(reconnect), boot_s, reconnect_s);
}

TEST_CASE_METHOD(StormFixture,
                 "a reconnect storm after kill -9 with a lock armed on every pile: every pile "
                 "boots and is armed again with one LockVehicle") {
  // The owner's side in this process: a verified car and its lock on every
  // pile (no scope), as a stolen car's would be when the node dies.
  ocpp::OcppCommandValidator validator;
  core::CentralSystemConfig config;
  config.message_log = false;
  core::CentralSystem central(database.db(), config);
  central.set_command_validator(&validator);
  const std::int64_t owner =
      std::stoll(database.scalar("INSERT INTO owners (name) VALUES ('ann') RETURNING id"));
  const std::string vin = "WVWZZZ1JZXW000099";
  core::IdTag card;
  card.id_tag = "TAG-STORM";
  card.owner_id = owner;
  central.authorization().put_id_tag(card);
  central.vehicles().register_vehicle({owner, vin, {"TAG-STORM"}, {}});
  central.vehicles().verify(vin, owner, {"operator:test", std::nullopt});
  const auto armed = [&](const std::string& lock) {
    return central.locks().find(lock)->piles.armed;
  };

  ServerProcess first = start();
  auto piles = fleet(first);
  REQUIRE(
      wait_for("SELECT count(*) FROM charge_points WHERE id LIKE 'STORM-%' AND online"
               " AND last_boot_at IS NOT NULL",
               std::to_string(kPiles), 120s));
  const std::string lock = central.locks().request_lock({owner, vin, {}}).lock.id;
  REQUIRE(test::eventually([&] { return armed(lock) == kPiles; }, 120s, 100ms));

  // The node dies with every pile armed; the piles come back to a new one
  // and boot (pilesim forgets its watch list, as a rebooted pile does).
  const std::string before = database.scalar("SELECT max(id) FROM commands");
  const std::string since = database.scalar("SELECT now()");
  first.stop(/*kill_hard=*/true);
  piles->kill();
  ServerProcess second = start();
  const auto started = std::chrono::steady_clock::now();
  piles = fleet(second);
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  const std::string booted_again = fmt::format(
      "SELECT count(*) FROM charge_points WHERE id LIKE 'STORM-%' AND online"
      " AND last_boot_at > '{}'",
      since);
  REQUIRE(wait_for(booted_again, std::to_string(kPiles), 120s));
  const double booted_s = elapsed();
  // LockVehicle queued after the restart, and answered Accepted.
  const std::string rearms = fmt::format(
      "FROM commands WHERE id > {} AND origin = 'lock:{}' AND action = 'DataTransfer'"
      " AND payload::json->>'messageId' = 'LockVehicle'",
      before, lock);
  const std::string accepted = "SELECT count(DISTINCT charge_point_id) " + rearms +
                               " AND status = 'completed' AND response::json->>'status' = "
                               "'Accepted'";
  REQUIRE(wait_for(accepted, std::to_string(kPiles), 120s));
  const double rearmed_s = elapsed();
  CHECK(count("SELECT count(*) " + rearms) == kPiles);  // one each: none twice
  const auto counts = central.locks().find(lock)->piles;
  CHECK(counts.armed == kPiles);
  CHECK(counts.pending == 0);
  check_clean_log(second.output());
  std::printf(
      "reconnect storm after kill -9 with a lock on every pile, %d piles: all booted again after "
      "%.2f s, all re-armed after %.2f s\n",
      kPiles, booted_s, rearmed_s);
}
