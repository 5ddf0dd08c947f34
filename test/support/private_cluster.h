// A PostgreSQL cluster of a test's own (initdb + pg_ctl into a temporary
// folder through scripts/postgres.sh), for tests that restart or stop the
// database: the shared test cluster of scripts/test.sh must stay up for the
// tests running beside them.
//
// Not thread-safe: one test thread drives it.
#pragma once

#include <string>

namespace chargelock::test {

class PrivateCluster {
 public:
  // Creates and starts the cluster (fsync off: tests need no durability
  // against power loss) on a free local port. Throws when it cannot start.
  PrivateCluster();
  ~PrivateCluster();  // stops the cluster and removes its folder
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  // libpq URI of the cluster's "postgres" database (role chargelock, trust).
  const std::string& url() const { return url_; }
  int port() const { return port_; }

  // pg_ctl restart -m fast: every session is terminated; returns once the
  // server accepts connections again. Throws when it does not come back.
  void restart();
  // pg_ctl stop -m fast / start again on the same port (a database that is
  // away for a while). Throw when the script fails.
  void stop();
  void start();

 private:
  void script(const std::string& command) const;

  std::string folder_;
  int port_ = 0;
  std::string url_;
};

}  // namespace chargelock::test
