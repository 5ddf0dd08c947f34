#include "test/support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <pqxx/pqxx>
#include <random>

namespace chargelock::test {

namespace {

// Replaces the database name (the URI path) of a libpq URI.
std::string with_database(const std::string& url, const std::string& name) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url + " dbname=" + name;  // key=value form
  const auto path = url.find('/', scheme + 3);
  if (path == std::string::npos) return url + "/" + name;
  const auto query = url.find('?', path);
  return url.substr(0, path + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  std::random_device random;
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return "chargelock_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(random() % 100000) + "_" + std::to_string(now % 1000000);
}

}  // namespace

std::string admin_database_url() {
  const char* url = std::getenv("CHARGELOCK_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0')
    FAIL(
        "CHARGELOCK_TEST_DATABASE_URL is not set: database tests need the libpq URL of a "
        "PostgreSQL role that may create databases, e.g. "
        "postgresql://chargelock@127.0.0.1:5499/postgres");
  return url;
}

TestDatabase::TestDatabase(bool migrate) : admin_url_(admin_database_url()), name_(unique_name()) {
  {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction txn(admin);
    txn.exec("CREATE DATABASE " + txn.quote_name(name_));
  }
  url_ = with_database(admin_url_, name_);
  db_ = std::make_unique<storage::Database>(url_);
  if (migrate) db_->migrate();
}

TestDatabase::~TestDatabase() {
  db_.reset();
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction txn(admin);
    txn.exec("DROP DATABASE IF EXISTS " + txn.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    WARN("could not drop test database " << name_ << ": " << e.what());
  }
}

std::string TestDatabase::scalar(const std::string& sql) {
  pqxx::connection conn(url_);
  pqxx::nontransaction txn(conn);
  const auto result = txn.exec(sql);
  if (result.empty()) return "";
  return result[0][0].is_null() ? "NULL" : result[0][0].as<std::string>();
}

}  // namespace chargelock::test
