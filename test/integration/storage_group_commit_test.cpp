// Group commit (storage::Database::make_batch(), core::BatchStores) against
// a real PostgreSQL: nothing written through a batch's stores is visible or
// durable before its commit, a failing call fails the whole batch, buffered
// writes (connector states, meter values) land exactly as written one by one
// would, and only writes reached from the batch join it.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "core/domain_errors.h"
#include "core/stores/charge_point_store.h"
#include "core/stores/connector_store.h"
#include "core/stores/meter_value_store.h"
#include "test/support/store_fixtures.h"
#include "test/support/test_database.h"

using namespace chargelock::core;
using chargelock::storage::Database;
using chargelock::test::add_charge_point;
using chargelock::test::kT0;
using chargelock::test::meter_sample;
using chargelock::test::TestDatabase;

namespace {

ConnectorStatus status(const std::string& pile, int connector, const std::string& state) {
  ConnectorStatus s;
  s.charge_point_id = pile;
  s.connector_id = connector;
  s.status = state;
  s.error_code = "NoError";
  s.timestamp = kT0;
  return s;
}

}  // namespace

TEST_CASE("a batch's writes appear together at its commit, not before") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  add_charge_point(test.db(), "CP-2");
  Database& db = test.db();
  const auto batch = db.make_batch();

  batch->begin();
  batch->connectors().record_status(status("CP-1", 1, "Preparing"));
  batch->connectors().record_status(status("CP-2", 1, "Available"));
  batch->connectors().record_status(status("CP-1", 1, "Charging"));  // same connector again
  batch->meter_values().append({meter_sample("CP-1", "10"), meter_sample("CP-1", "11")});
  batch->meter_values().append({meter_sample("CP-2", "20")});
  batch->charge_points().touch_many({{"CP-1", kT0}});
  // scalar() uses its own connection: it sees committed data only.
  CHECK(test.scalar("SELECT count(*) FROM connector_status_history") == "0");
  CHECK(test.scalar("SELECT count(*) FROM meter_values") == "0");
  CHECK(test.scalar("SELECT last_seen IS NULL FROM charge_points WHERE id = 'CP-1'") == "t");
  REQUIRE(batch->commit());

  CHECK(test.scalar("SELECT count(*) FROM connector_status_history") == "3");
  CHECK(test.scalar("SELECT string_agg(status, ',' ORDER BY id) FROM connector_status_history"
                    " WHERE charge_point_id = 'CP-1'") == "Preparing,Charging");
  // The current state is the last report of each connector.
  const auto current = db.connectors().list("CP-1");
  REQUIRE(current.size() == 1);
  CHECK(current[0].status == "Charging");
  CHECK(current[0].timestamp == kT0);
  CHECK(db.connectors().list("CP-2").at(0).status == "Available");
  CHECK(test.scalar("SELECT string_agg(value || unit, ',' ORDER BY id) FROM meter_values") ==
        "10Wh,11Wh,20Wh");
  CHECK(db.charge_points().find("CP-1")->last_seen == kT0);
}

TEST_CASE("one failing call rolls the whole batch back and says so at commit") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  Database& db = test.db();
  const auto batch = db.make_batch();

  SECTION("a buffered write that fails at the commit") {
    batch->begin();
    batch->connectors().record_status(status("CP-1", 1, "Available"));
    batch->connectors().record_status(status("NOT-REGISTERED", 1, "Available"));
    batch->meter_values().append({meter_sample("CP-1", "10")});
    CHECK_FALSE(batch->commit());
  }
  SECTION("a direct write that fails: later calls of the batch fail at once") {
    batch->begin();
    batch->charge_points().touch_many({{"CP-1", kT0}});
    ChargePointChange bad;
    bad.security_profile = 9;  // refused by the table's CHECK constraint
    CHECK_THROWS_AS(batch->charge_points().update("CP-1", bad), DatabaseError);
    CHECK_THROWS_AS(batch->charge_points().find("CP-1"), DatabaseError);
    CHECK_FALSE(batch->commit());
  }
  CHECK(test.scalar("SELECT count(*) FROM connectors") == "0");
  CHECK(test.scalar("SELECT count(*) FROM meter_values") == "0");
  CHECK(test.scalar("SELECT last_seen IS NULL FROM charge_points WHERE id = 'CP-1'") == "t");

  // The thread's connection is usable again, batch or not; the batch is
  // used again as it is.
  db.connectors().record_status(status("CP-1", 1, "Available"));
  batch->begin();
  batch->meter_values().append({meter_sample("CP-1", "10")});
  CHECK(batch->commit());
  CHECK(test.scalar("SELECT count(*) FROM connectors") == "1");
  CHECK(test.scalar("SELECT count(*) FROM meter_values") == "1");
}

TEST_CASE("a batch whose BEGIN fails leaves the thread's connection usable") {
  // A group's BEGIN is one simple query that also writes its commit marker.
  // When the marker's write fails (a server still read-only just before
  // its promotion; here the table is away for a moment), the server is left
  // inside an aborted transaction block. Seen in a failover: every later
  // call on that connection then failed with "current transaction is
  // aborted" and piles on that node could not boot until it restarted.
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  Database& db = test.db();
  const auto batch = db.make_batch();
  REQUIRE(db.charge_points().find("CP-1"));  // the thread's connection is open

  test.scalar("ALTER TABLE commit_markers RENAME TO commit_markers_away");
  batch->begin();
  CHECK_THROWS_AS(batch->charge_points().find("CP-1"), DatabaseError);
  CHECK_FALSE(batch->commit());
  test.scalar("ALTER TABLE commit_markers_away RENAME TO commit_markers");

  // The thread's next calls work: a plain read (no transaction of its own,
  // so nothing would roll the aborted block back), a plain write, a batch.
  CHECK(db.charge_points().find("CP-1"));
  db.meter_values().append({meter_sample("CP-1", "alone")});
  batch->begin();
  batch->meter_values().append({meter_sample("CP-1", "batched")});
  CHECK(batch->commit());
  CHECK(test.scalar("SELECT string_agg(value, ',' ORDER BY id) FROM meter_values") ==
        "alone,batched");
}

TEST_CASE("only writes through the batch join it: the plain stores commit on their own") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  Database& db = test.db();
  const auto batch = db.make_batch();

  batch->begin();
  batch->meter_values().append({meter_sample("CP-1", "batched")});
  batch->charge_points().touch_many({{"CP-1", kT0}});
  // The same thread, the plain stores: durable at once, batch open or not.
  db.meter_values().append({meter_sample("CP-1", "alone")});
  std::thread other([&] {
    db.meter_values().append({meter_sample("CP-1", "other thread")});
    db.release_thread_connection();
  });
  other.join();
  CHECK(test.scalar("SELECT string_agg(value, ',' ORDER BY id) FROM meter_values") ==
        "alone,other thread");
  batch->abort();
  CHECK(test.scalar("SELECT string_agg(value, ',' ORDER BY id) FROM meter_values") ==
        "alone,other thread");
  CHECK(test.scalar("SELECT last_seen IS NULL FROM charge_points WHERE id = 'CP-1'") == "t");
}

TEST_CASE("a batch's stores refuse use outside begin/commit, and batches do not nest") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  const auto batch = test.db().make_batch();

  CHECK_THROWS_AS(batch->meter_values().append({meter_sample("CP-1", "closed")}), std::logic_error);
  CHECK_THROWS_AS(batch->connectors().record_status(status("CP-1", 1, "Available")),
                  std::logic_error);
  batch->begin();
  CHECK_THROWS_AS(batch->begin(), std::logic_error);
  batch->meter_values().append({meter_sample("CP-1", "10")});
  CHECK(batch->commit());
  CHECK_THROWS_AS(batch->charge_points().find("CP-1"), std::logic_error);
  CHECK(test.scalar("SELECT string_agg(value, ',') FROM meter_values") == "10");
}
