// Migration 0016: a lock's pile rows name their LockVehicle / UnlockVehicle
// commands without a foreign key (two row-by-row checks less per pile in a
// fan-out). What a user relies on still holds: removing a pile removes its
// commands and its lock rows together (no pile row is left naming a command
// that is gone), a pile row still needs its lock and its charge point, and a
// command missing for any other reason reads as "no command" with the pile's
// own state kept, as ON DELETE SET NULL showed it.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/stores/charge_point_store.h"
#include "core/stores/command_store.h"
#include "core/stores/lock_store.h"
#include "core/stores/vehicle_store.h"
#include "test/support/store_fixtures.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::core;

namespace {

constexpr const char* kVin = "WVWZZZ1JZXW000001";

// Pile rows naming a command id that no command row has.
std::string dangling(test::TestDatabase& t) {
  return t.scalar(
      "SELECT count(*) FROM vehicle_lock_piles p WHERE"
      " (p.command_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM commands c WHERE c.id = "
      "p.command_id))"
      " OR (p.unlock_command_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM commands c"
      " WHERE c.id = p.unlock_command_id))");
}

}  // namespace

TEST_CASE("lock piles without command foreign keys: removing a pile takes its commands and rows") {
  test::TestDatabase t;
  const auto owner = test::add_owner_with_vehicle(t, kVin);
  for (const char* id : {"CP-1", "CP-2", "CP-3"}) {
    NewChargePoint cp;
    cp.id = id;
    t.db().charge_points().create(cp);
  }
  auto& locks = t.db().locks();
  const auto expires = Clock::now() + std::chrono::hours(24);
  locks.create({"lock-1", kVin, owner, std::nullopt, std::nullopt, expires, std::nullopt,
                "requested by owner"});

  // Only the lock's and the charge point's keys are left on the pile rows.
  CHECK(t.scalar("SELECT string_agg(pg_get_constraintdef(oid), ' | ' ORDER BY conname)"
                 " FROM pg_constraint WHERE conrelid = 'vehicle_lock_piles'::regclass"
                 " AND contype = 'f'") ==
        "FOREIGN KEY (charge_point_id) REFERENCES charge_points(id) ON DELETE CASCADE | "
        "FOREIGN KEY (lock_id) REFERENCES vehicle_locks(id) ON DELETE CASCADE");

  LockDelivery lock_vehicle;
  lock_vehicle.lock_id = "lock-1";
  lock_vehicle.charge_point_ids = {"CP-1", "CP-2", "CP-3"};
  lock_vehicle.action = "DataTransfer";
  lock_vehicle.payload_json = R"({"lock":true})";
  lock_vehicle.origin = "lock:lock-1";
  lock_vehicle.expires_at = expires;
  REQUIRE(locks.queue_lock_vehicle(lock_vehicle).charge_point_ids.size() == 3);
  LockDelivery unlock = lock_vehicle;
  unlock.payload_json = R"({"unlock":true})";
  REQUIRE(locks.queue_unlock_vehicle(unlock).charge_point_ids.size() == 3);
  CHECK(dangling(t) == "0");
  CHECK(t.scalar("SELECT count(*) FROM commands WHERE charge_point_id = 'CP-1'") == "2");

  // The operator removes a pile: its commands and its lock row go with it.
  REQUIRE(t.db().charge_points().remove("CP-1"));
  CHECK(t.scalar("SELECT count(*) FROM commands WHERE charge_point_id = 'CP-1'") == "0");
  CHECK_FALSE(locks.pile("lock-1", "CP-1"));
  CHECK(dangling(t) == "0");
  const auto two = locks.pile("lock-1", "CP-2");
  REQUIRE(two);
  CHECK(two->command_status == std::optional<CommandStatus>(CommandStatus::Queued));
  CHECK(two->unlock_status == std::optional<CommandStatus>(CommandStatus::Queued));

  // A pile row still needs its lock and its charge point.
  CHECK_THROWS(t.scalar(
      "INSERT INTO vehicle_lock_piles (lock_id, charge_point_id) VALUES ('no-such-lock', 'CP-2')"
      " RETURNING 1"));
  CHECK_THROWS(t.scalar(
      "INSERT INTO vehicle_lock_piles (lock_id, charge_point_id) VALUES ('lock-1', 'CP-GONE')"
      " RETURNING 1"));

  // A command row gone some other way (by hand in SQL): the pile reads as
  // having no command outcome, its own status kept, as SET NULL showed it.
  t.scalar("DELETE FROM commands WHERE id = " + std::to_string(*two->command_id) + " RETURNING 1");
  const auto after = locks.pile("lock-1", "CP-2");
  REQUIRE(after);
  CHECK(after->status == PileStatus::Pending);
  CHECK_FALSE(after->command_status);
  CHECK(after->unlock_status == std::optional<CommandStatus>(CommandStatus::Queued));
}
