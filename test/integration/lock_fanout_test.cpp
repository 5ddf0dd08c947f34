// A lock's fan-out and release over hundreds of real websocket piles
// (pilesim), checked from what the piles answered and what went over the
// wire (the message log), not from what the central system queued:
// - every pile gets exactly one LockVehicle for the lock, the fan-out
//   queued in chunks (one commit and one wake-up each);
// - the counts say armed only for piles that answered Accepted;
// - after the release no pile stays armed: piles that drop off in the
//   middle of it count as pendingOffline and are disarmed when they come
//   back (UnlockVehicle, delivered only after their boot is accepted).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "core/central_system.h"
#include "ocpp/command_validator.h"
#include "test/support/eventually.h"
#include "test/support/pilesim_fleet.h"
#include "test/support/server_process.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kVin = "WVWZZZ1JZXW000077";
constexpr int kStaying = 200;   // LOCKSIM-1..200: connected throughout
constexpr int kDropping = 100;  // LOCKSIM-201..300: killed in the middle of the release
constexpr int kPiles = kStaying + kDropping;
constexpr std::size_t kFanOutChunk = 64;  // 5 chunks

// A pilesim fleet running in the background until killed.
class Fleet : public PilesimFleet {
 public:
  Fleet(const std::string& url, int first, int count)
      : PilesimFleet({"--url", url, "--first", std::to_string(first), "--count",
                      std::to_string(count), "--id-pattern", "LOCKSIM-{n}", "--password-pattern",
                      "lock-pile-secret-{n}", "--rate", "1000", "--duration", "600", "--quiet"}) {}
};

struct FanoutFixture {
  TestDatabase database;
  ocpp::OcppCommandValidator validator;
  std::unique_ptr<core::CentralSystem> central;  // the owner's view, in this process
  std::unique_ptr<ServerProcess> server;
  std::int64_t owner_id = 0;

  FanoutFixture() {
    const auto [code, output] =
        ServerProcess::run({"chargepoint", "add-range", "LOCKSIM-", "1", std::to_string(kPiles),
                            "--password-pattern", "lock-pile-secret-{n}"},
                           env());
    INFO(output);
    REQUIRE(code == 0);
    core::CentralSystemConfig config;
    config.message_log = false;
    // The lock and its release are fanned out here, in chunks (each its own
    // commit and wake-up) that the server's dispatcher delivers.
    config.lock_fan_out_chunk = kFanOutChunk;
    central = std::make_unique<core::CentralSystem>(database.db(), config);
    central->set_command_validator(&validator);
    owner_id = std::stoll(database.scalar("INSERT INTO owners (name) VALUES ('bob') RETURNING id"));
    core::IdTag card;
    card.id_tag = "TAG-B";
    card.owner_id = owner_id;
    central->authorization().put_id_tag(card);
    central->vehicles().register_vehicle({owner_id, kVin, {"TAG-B"}, {}});
    central->vehicles().verify(kVin, owner_id, {"operator:test", std::nullopt});
    server = std::make_unique<ServerProcess>(
        // The API on a free port too: the default 8080 may be taken by
        // another test's server (ctest -j2 failed this test on it).
        std::vector<std::string>{"serve", "--ocpp-listen", "127.0.0.1:0", "--api-listen",
                                 "127.0.0.1:0", "--ocpp-connect-rate", "0"},
        env());
  }

  std::map<std::string, std::string> env() const {
    return {{"CHARGELOCK_DATABASE_URL", database.url()}};
  }

  std::string url() const { return fmt::format("ws://127.0.0.1:{}/ocpp", server->port("ocpp ws")); }

  int count(const std::string& sql) { return std::stoi(database.scalar(sql)); }

  // Connected and booted (pilesim's model is recorded at the boot).
  int online() {
    return count(
        "SELECT count(*) FROM charge_points WHERE id LIKE 'LOCKSIM-%'"
        " AND connected_node IS NOT NULL AND model = 'PileSim'");
  }

  core::LockPileCounts piles(const std::string& lock_id) {
    return central->locks().find(lock_id)->piles;
  }

  // CALLs of one kind the central system wrote to the piles for this lock
  // (the message log keeps every frame; its writer batches, so wait on it).
  int calls_sent(const std::string& message_id, const std::string& lock_id,
                 const std::string& having = "") {
    return count(fmt::format(
        "SELECT count(*) FROM (SELECT charge_point_id FROM message_log WHERE direction = 'out'"
        " AND frame LIKE '[2,%' AND frame LIKE '%{}%' AND frame LIKE '%{}%'"
        " GROUP BY charge_point_id {}) per_pile",
        message_id, lock_id, having));
  }
};

}  // namespace

TEST_CASE_METHOD(FanoutFixture,
                 "lock fan-out: one LockVehicle per pile, and no pile stays armed after a release "
                 "that piles drop out of") {
  Fleet staying(url(), 1, kStaying);
  auto dropping = std::make_unique<Fleet>(url(), kStaying + 1, kDropping);
  REQUIRE(test::eventually([&] { return online() == kPiles; }, 120s, 100ms));

  const auto requested = central->locks().request_lock({owner_id, kVin, {}});
  const std::string id = requested.lock.id;
  CHECK(requested.piles.armed == 0);  // queued is not armed
  REQUIRE(test::eventually([&] { return piles(id).armed == kPiles; }, 120s, 100ms));
  CHECK(piles(id).pending == 0);

  // Exactly one LockVehicle per pile, none twice, queued in chunks (a
  // commit each: the commands' created_at is their transaction's start).
  REQUIRE(test::eventually([&] { return calls_sent("LockVehicle", id) == kPiles; }, 30s, 100ms));
  CHECK(calls_sent("LockVehicle", id, "HAVING count(*) > 1") == 0);
  CHECK(count(fmt::format("SELECT count(DISTINCT created_at) FROM commands WHERE origin = 'lock:{}'"
                          " AND payload LIKE '%LockVehicle%'",
                          id)) == static_cast<int>((kPiles + kFanOutChunk - 1) / kFanOutChunk));

  // Release (cancel: nothing was caught) and cut a third of the piles off
  // while their UnlockVehicle is on its way.
  central->locks().cancel(owner_id, id);
  dropping->kill();
  const auto settled = [&] {
    const auto p = piles(id);
    return p.armed == 0 && p.pending == 0;
  };
  REQUIRE(test::eventually(settled, 120s, 100ms));
  auto after = piles(id);
  INFO("disarmed " << after.disarmed << ", pendingOffline " << after.pending_offline);
  CHECK(after.release_complete);
  CHECK(after.disarmed + after.pending_offline == kPiles);
  CHECK(after.disarmed >= kStaying);  // every pile that stayed confirmed
  // The ones that dropped out and had not confirmed are shown as such.
  CHECK(after.pending_offline ==
        kPiles - count(fmt::format("SELECT count(*) FROM vehicle_lock_piles WHERE "
                                   "lock_id = '{}' AND status = 'disarmed'",
                                   id)));

  // They come back (boot again): UnlockVehicle reaches every one of them.
  dropping = std::make_unique<Fleet>(url(), kStaying + 1, kDropping);
  REQUIRE(test::eventually([&] { return piles(id).disarmed == kPiles; }, 120s, 100ms));
  after = piles(id);
  CHECK(after.pending_offline == 0);
  CHECK(after.armed == 0);
  CHECK(after.release_complete);
  REQUIRE(test::eventually([&] { return calls_sent("UnlockVehicle", id) == kPiles; }, 30s, 100ms));
  // Still one LockVehicle per pile: coming back re-armed nothing.
  CHECK(calls_sent("LockVehicle", id, "HAVING count(*) > 1") == 0);
}
