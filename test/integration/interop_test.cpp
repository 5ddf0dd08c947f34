// Interoperability: a charge point written by someone else — the npm
// package ocpp-rpc's RPCClient in strict mode, which checks every message
// against the official OCPP 1.6 JSON schemas — runs a full session with each
// security profile (test/interop/interop.mjs).
#include <fmt/format.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "core/central_system.h"
#include "test/support/child_command.h"
#include "test/support/server_process.h"
#include "test/support/test_certificates.h"
#include "test/support/test_database.h"

using namespace chargelock;
using namespace chargelock::test;

TEST_CASE("ocpp-rpc in strict mode runs a charging session with every security profile") {
  const std::string interop = std::string(CHARGELOCK_SOURCE_DIR) + "/test/interop";
  require_npm_package(interop, "ocpp-rpc", "npm install");

  TestDatabase database;
  TestCertificates certificates;
  const std::map<std::string, std::string> env = {{"CHARGELOCK_DATABASE_URL", database.url()}};
  for (std::vector<std::string> args :
       {std::vector<std::string>{"IOP-1", "--password", "interop-secret-1"},
        std::vector<std::string>{"IOP-2", "--password", "interop-secret-2", "--profile", "2"},
        std::vector<std::string>{"IOP-3", "--profile", "3"}}) {
    args.insert(args.begin(), {"chargepoint", "add"});
    REQUIRE(ServerProcess::run(args, env).first == 0);
  }
  {
    core::CentralSystemConfig config;
    config.message_log = false;
    core::CentralSystem central(database.db(), config);
    core::IdTag tag;
    tag.id_tag = "IOP-TAG";
    central.authorization().put_id_tag(tag);
  }

  ServerProcess server({"serve", "--ocpp-listen", "127.0.0.1:0", "--ocpp-tls-listen", "127.0.0.1:0",
                        "--api-listen", "127.0.0.1:0", "--tls-cert", certificates.server().cert,
                        "--tls-key", certificates.server().key, "--tls-ca", certificates.ca_file()},
                       env, {"ocpp ws", "ocpp wss"});
  const auto& client3 = certificates.client("IOP-3");
  const std::string profiles =
      fmt::format(R"([{{"id":"IOP-1","profile":1,"password":"interop-secret-1"}},)"
                  R"({{"id":"IOP-2","profile":2,"password":"interop-secret-2"}},)"
                  R"({{"id":"IOP-3","profile":3,"cert":"{}","key":"{}"}}])",
                  client3.cert, client3.key);
  auto [code, output] =
      run_node(interop + "/interop.mjs",
               {{"CL_WS_URL", fmt::format("ws://127.0.0.1:{}/ocpp", server.port("ocpp ws"))},
                {"CL_WSS_URL", fmt::format("wss://localhost:{}/ocpp", server.port("ocpp wss"))},
                {"CL_CA", certificates.ca_file()},
                {"CL_PROFILES", profiles},
                {"CL_ID_TAG", "IOP-TAG"}});
  INFO(output);
  INFO(server.output());
  CHECK(code == 0);
  CHECK(output.find("IOP-1 (profile 1) ok") != std::string::npos);
  CHECK(output.find("IOP-2 (profile 2) ok") != std::string::npos);
  CHECK(output.find("IOP-3 (profile 3) ok") != std::string::npos);
  CHECK(database.scalar("SELECT count(*) FROM transactions WHERE stop_timestamp IS NOT NULL") ==
        "3");
}
