// SIGTERM (SPEC §7): the real program stops accepting piles, answers the
// CALLs it is handling, closes every pile with 1001 Going Away and exits 0
// within 10 s, having kept what it answered.
#include <fmt/format.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "test/support/ocpp_test_pile.h"
#include "test/support/server_process.h"
#include "test/support/test_database.h"

using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

WsClientOptions basic(const std::string& id) {
  WsClientOptions options;
  options.basic_user = id;
  options.basic_password = "password-of-" + id;
  return options;
}

}  // namespace

TEST_CASE("SIGTERM: piles get 1001 Going Away after their answers, and the program exits 0") {
  TestDatabase database;
  const std::map<std::string, std::string> env{{"CHARGELOCK_DATABASE_URL", database.url()}};
  for (const char* id : {"CP-A", "CP-B", "CP-LATE"}) {
    auto [code, output] = ServerProcess::run(
        {"chargepoint", "add", id, "--password", std::string("password-of-") + id}, env);
    INFO(output);
    REQUIRE(code == 0);
  }
  ServerProcess server({"serve", "--api-listen", "127.0.0.1:0", "--ocpp-listen", "127.0.0.1:0"},
                       env, {"api", "ocpp ws"});
  const std::string url = fmt::format("ws://127.0.0.1:{}", server.port("ocpp ws"));
  OcppTestPile a("CP-A");
  OcppTestPile b("CP-B");
  REQUIRE(a.connect(url, basic("CP-A")).connected);
  REQUIRE(b.connect(url, basic("CP-B")).connected);
  for (OcppTestPile* pile : {&a, &b})
    pile->call_ok("BootNotification", R"({"chargePointVendor":"V","chargePointModel":"M"})");

  // A transaction start is on its way when the signal comes.
  REQUIRE(a.client().send_text(fmt::format(
      R"([2,"start-1","StartTransaction",{{"connectorId":1,"idTag":"TAG","meterStart":0,)"
      R"("timestamp":"{}"}}])",
      now_rfc3339())));
  const auto signalled = std::chrono::steady_clock::now();
  REQUIRE(server.signal(SIGTERM));

  // It is answered before the connection closes...
  const auto answer = a.client().receive(8s);
  REQUIRE(answer);
  CHECK_THAT(*answer, Catch::StartsWith(R"([3,"start-1",)"));
  CHECK_THAT(*answer, Catch::Contains("transactionId"));
  // ... then every pile is told the server is going away.
  CHECK(a.client().wait_closed(8s) == std::optional<int>(1001));
  CHECK(b.client().wait_closed(8s) == std::optional<int>(1001));
  // No new pile gets in meanwhile.
  OcppTestPile late("CP-LATE");
  CHECK_FALSE(late.connect(url, basic("CP-LATE")).connected);

  const int status = server.stop();  // SIGTERM again, then waits for the exit
  CHECK(std::chrono::steady_clock::now() - signalled < 10s);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // What it answered is kept.
  CHECK(database.scalar("SELECT count(*) FROM transactions WHERE charge_point_id = 'CP-A'") == "1");
}
