// Migration 0017: fewer index entries written per lock answer. A lock's pile
// rows leave room on their pages, so the answer's update (no indexed column
// changes) is a HOT update that writes no index entry; the idempotency key's
// unique index holds only commands that have a key. What a user relies on
// still holds: one command per pile and idempotency key (a retried request
// maps onto the same command, a second row with the key is refused), any
// number of commands without a key, and the rows written before the upgrade
// are kept.
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

constexpr int kVersionBefore = 16;
constexpr int kPiles = 400;
constexpr const char* kVin = "WVWZZZ1JZXW000001";

// A lock's fan-out to kPiles piles (the store's own statement: all rows in
// one burst), then every pile's answer recorded as the answer path changes
// the row, in one transaction; returns how many of those updates were HOT.
std::string hot_answers(test::TestDatabase& t, const std::string& lock_id, std::int64_t owner) {
  auto& locks = t.db().locks();
  const auto expires = Clock::now() + std::chrono::hours(24);
  locks.create({lock_id, kVin, owner, std::nullopt, std::nullopt, expires, std::nullopt,
                "requested by owner"});
  LockDelivery lock_vehicle;
  lock_vehicle.lock_id = lock_id;
  for (int i = 1; i <= kPiles; ++i)
    lock_vehicle.charge_point_ids.push_back("CP-" + std::to_string(i));
  lock_vehicle.action = "DataTransfer";
  lock_vehicle.payload_json = R"({"lock":true})";
  lock_vehicle.origin = "lock:" + lock_id;
  lock_vehicle.expires_at = expires;
  REQUIRE(locks.queue_lock_vehicle(lock_vehicle).charge_point_ids.size() ==
          static_cast<std::size_t>(kPiles));
  // One implicit transaction (one simple query): the counter is this
  // transaction's own, exact and not subject to the statistics' flush delay.
  return t.scalar(
      "UPDATE vehicle_lock_piles SET status = 'armed', detail = 'Accepted',"
      " attempts = 0, retry_at = NULL, updated_at = now() WHERE lock_id = '" +
      lock_id + "'; SELECT pg_stat_get_xact_tuples_hot_updated('vehicle_lock_piles'::regclass)");
}

}  // namespace

TEST_CASE("after migration 0017 a lock's answers update its pile rows without index writes") {
  test::TestDatabase t(/*migrate=*/false);
  t.db().migrate(kVersionBefore);
  REQUIRE(t.db().schema_version() == kVersionBefore);
  const auto owner = test::add_owner_with_vehicle(t, kVin);
  t.scalar("INSERT INTO charge_points (id) SELECT 'CP-' || i FROM generate_series(1, " +
           std::to_string(kPiles) + ") AS i");

  // Before: the burst fills every page, so almost no answer finds room.
  const int hot_before = std::stoi(hot_answers(t, "lock-before", owner));
  CHECK(hot_before < kPiles / 4);
  t.scalar("UPDATE vehicle_locks SET status = 'released' WHERE id = 'lock-before'");

  REQUIRE(t.db().migrate() > 0);
  // All but the few rows that went onto a page of the earlier lock's rows
  // (filled before the upgrade) find room on their own page.
  CHECK(std::stoi(hot_answers(t, "lock-after", owner)) >= kPiles * 9 / 10);
  // The rows written before the upgrade are all still there.
  CHECK(t.scalar("SELECT count(*) FROM vehicle_lock_piles WHERE lock_id = 'lock-before'"
                 " AND status = 'armed'") == std::to_string(kPiles));
}

TEST_CASE("after migration 0017 an idempotency key is still one command per pile") {
  test::TestDatabase t(/*migrate=*/false);
  t.db().migrate(kVersionBefore);
  t.scalar("INSERT INTO charge_points (id) VALUES ('CP-1'), ('CP-2')");
  const auto insert = [&](const std::string& pile, const std::string& key) {
    return t.scalar(
        "INSERT INTO commands (charge_point_id, action, payload, idempotency_key, expires_at)"
        " VALUES ('" +
        pile + "', 'Reset', '{\"type\":\"Soft\"}', " + key +
        ", now() + interval '1 hour') RETURNING id");
  };
  const std::string keyed = insert("CP-1", "'k-1'");
  insert("CP-1", "NULL");
  insert("CP-1", "NULL");
  REQUIRE(t.db().migrate() > 0);

  CHECK(t.scalar("SELECT count(*) FROM commands") == "3");
  CHECK(t.scalar("SELECT pg_get_indexdef('commands_idempotency_unique'::regclass)") ==
        "CREATE UNIQUE INDEX commands_idempotency_unique ON public.commands USING btree "
        "(charge_point_id, idempotency_key) WHERE (idempotency_key IS NOT NULL)");
  // The database itself still refuses a second command with a pile's key...
  CHECK_THROWS(insert("CP-1", "'k-1'"));
  // ...keys are per pile, and commands without a key are never one another's.
  CHECK_NOTHROW(insert("CP-2", "'k-1'"));
  CHECK_NOTHROW(insert("CP-1", "NULL"));

  // The store's enqueue maps a retried request onto the same command.
  NewCommand retry;
  retry.charge_point_id = "CP-1";
  retry.action = "Reset";
  retry.payload_json = R"({"type":"Soft"})";
  retry.origin = "operator";
  retry.idempotency_key = "k-1";
  retry.expires_at = Clock::now() + std::chrono::hours(1);
  const auto again = t.db().commands().enqueue(retry);
  CHECK_FALSE(again.inserted);
  CHECK(std::to_string(again.command.id) == keyed);
  retry.idempotency_key = "k-2";
  CHECK(t.db().commands().enqueue(retry).inserted);
  CHECK(t.scalar("SELECT count(*) FROM commands WHERE charge_point_id = 'CP-1'") == "5");
}
