// A fresh, migrated PostgreSQL database per test, dropped afterwards.
//
// The admin URL comes from CHARGELOCK_TEST_DATABASE_URL (a libpq URI of a
// role that may create databases). When it is unset the test FAILS with a
// message saying so: database tests never skip silently.
#pragma once

#include <memory>
#include <string>

#include "storage/database.h"

namespace chargelock::test {

class TestDatabase {
 public:
  // Creates a uniquely named database and, unless `migrate` is false,
  // applies the migrations.
  explicit TestDatabase(bool migrate = true);
  ~TestDatabase();  // closes connections and drops the database
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }  // URL of the test database
  storage::Database& db() { return *db_; }

  // Runs one SQL statement on the test database (for assertions on tables
  // no store exposes) and returns the first column of the first row as text
  // ("" when there are no rows, "NULL" for a null).
  std::string scalar(const std::string& sql);

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
  std::unique_ptr<storage::Database> db_;
};

// The admin URL, or FAIL()s the current test when the variable is unset.
std::string admin_database_url();

}  // namespace chargelock::test
