// Migrations: applied at start, idempotent, safe for concurrent starters,
// and an unreachable database is reported with its cause.
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "core/domain_errors.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "test/support/test_database.h"

using chargelock::core::DatabaseError;
using chargelock::storage::Database;
using chargelock::storage::embedded_migrations;
using chargelock::test::TestDatabase;

TEST_CASE("migrations are embedded in version order") {
  const auto& migrations = embedded_migrations();
  REQUIRE_FALSE(migrations.empty());
  CHECK(migrations.front().version == 1);
  for (std::size_t i = 1; i < migrations.size(); ++i)
    CHECK(migrations[i].version > migrations[i - 1].version);
  CHECK(migrations.front().sql.find("CREATE TABLE charge_points") != std::string_view::npos);
}

TEST_CASE("migrate creates the schema once, a second run is a no-op") {
  TestDatabase test(/*migrate=*/false);
  CHECK(test.db().schema_version() == 0);
  const int applied = test.db().migrate();
  CHECK(applied == static_cast<int>(embedded_migrations().size()));
  CHECK(test.db().schema_version() == embedded_migrations().back().version);
  CHECK(test.scalar("SELECT to_regclass('transactions') IS NOT NULL") == "t");

  CHECK(test.db().migrate() == 0);
  CHECK(test.scalar("SELECT count(*) FROM schema_migrations") ==
        std::to_string(embedded_migrations().size()));
}

TEST_CASE("concurrent starters migrate the same database safely") {
  TestDatabase test(/*migrate=*/false);
  constexpr int kStarters = 4;
  std::vector<int> applied(kStarters, -1);
  std::vector<std::string> errors(kStarters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i) {
    threads.emplace_back([&, i] {
      try {
        Database db(test.url());  // separate "process": own Database, own connection
        applied[i] = db.migrate();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int i = 0; i < kStarters; ++i) {
    INFO("starter " << i << ": " << errors[i]);
    CHECK(errors[i].empty());
    total += applied[i];
  }
  CHECK(total == static_cast<int>(embedded_migrations().size()));
  CHECK(test.scalar("SELECT count(*) FROM schema_migrations") ==
        std::to_string(embedded_migrations().size()));
}

TEST_CASE("an unreachable database is reported with its cause and without the password") {
  try {
    Database db("postgresql://someone:topsecret@127.0.0.1:1/nowhere?connect_timeout=2");
    FAIL("connecting to a closed port must throw");
  } catch (const DatabaseError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("cannot connect to database"));
    CHECK_THAT(message, Catch::Contains("127.0.0.1"));
    CHECK_THAT(message, !Catch::Contains("topsecret"));
    CHECK_THAT(message, Catch::Contains("refused") || Catch::Contains("connect"));
  }
}
