// Group commit (storage::Database::begin_batch / commit_batch) against a
// real PostgreSQL: nothing of a batch is visible or durable before its
// commit, a failing call fails the whole batch, and buffered writes (connector
// states, meter values) land exactly as written one by one would.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
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

MeterValueRecord sample(const std::string& pile, const std::string& value) {
  MeterValueRecord v;
  v.charge_point_id = pile;
  v.connector_id = 1;
  v.timestamp = kT0;
  v.value = value;
  v.unit = std::string("Wh");
  return v;
}
}  // namespace

TEST_CASE("a batch's writes appear together at its commit, not before") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  add_charge_point(test.db(), "CP-2");
  Database& db = test.db();

  db.begin_batch();
  db.connectors().record_status(status("CP-1", 1, "Preparing"));
  db.connectors().record_status(status("CP-2", 1, "Available"));
  db.connectors().record_status(status("CP-1", 1, "Charging"));  // same connector again
  db.meter_values().append({sample("CP-1", "10"), sample("CP-1", "11")});
  db.meter_values().append({sample("CP-2", "20")});
  db.charge_points().touch_many({{"CP-1", kT0}});
  // scalar() uses its own connection: it sees committed data only.
  CHECK(test.scalar("SELECT count(*) FROM connector_status_history") == "0");
  CHECK(test.scalar("SELECT count(*) FROM meter_values") == "0");
  CHECK(test.scalar("SELECT last_seen IS NULL FROM charge_points WHERE id = 'CP-1'") == "t");
  REQUIRE(db.commit_batch());

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

  SECTION("a buffered write that fails at the commit") {
    db.begin_batch();
    db.connectors().record_status(status("CP-1", 1, "Available"));
    db.connectors().record_status(status("NOT-REGISTERED", 1, "Available"));
    db.meter_values().append({sample("CP-1", "10")});
    CHECK_FALSE(db.commit_batch());
  }
  SECTION("a direct write that fails: later calls of the batch fail at once") {
    db.begin_batch();
    db.charge_points().touch_many({{"CP-1", kT0}});
    ChargePointChange bad;
    bad.security_profile = 9;  // refused by the table's CHECK constraint
    CHECK_THROWS_AS(db.charge_points().update("CP-1", bad), DatabaseError);
    CHECK_THROWS_AS(db.charge_points().find("CP-1"), DatabaseError);
    CHECK_FALSE(db.commit_batch());
  }
  CHECK(test.scalar("SELECT count(*) FROM connectors") == "0");
  CHECK(test.scalar("SELECT count(*) FROM meter_values") == "0");
  CHECK(test.scalar("SELECT last_seen IS NULL FROM charge_points WHERE id = 'CP-1'") == "t");

  // The thread's connection is usable again, batch or not.
  db.connectors().record_status(status("CP-1", 1, "Available"));
  db.begin_batch();
  db.meter_values().append({sample("CP-1", "10")});
  CHECK(db.commit_batch());
  CHECK(test.scalar("SELECT count(*) FROM connectors") == "1");
  CHECK(test.scalar("SELECT count(*) FROM meter_values") == "1");
}

TEST_CASE("a batch belongs to its thread: other threads commit on their own") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  Database& db = test.db();

  db.begin_batch();
  db.meter_values().append({sample("CP-1", "batched")});
  std::thread other([&] {
    db.meter_values().append({sample("CP-1", "alone")});
    db.release_thread_connection();
  });
  other.join();
  CHECK(test.scalar("SELECT string_agg(value, ',') FROM meter_values") == "alone");
  db.abort_batch();
  CHECK(test.scalar("SELECT string_agg(value, ',') FROM meter_values") == "alone");
}
