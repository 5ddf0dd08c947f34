// SIGHUP re-reads the TLS certificate and key of both listeners without a
// restart (certificate rotation): new handshakes get the new certificate,
// connected piles stay connected, and a bad pair is refused with a log line
// while the listener keeps serving the old one.
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <thread>

#include "test/support/api_fixture.h"
#include "test/support/ocpp_test_pile.h"
#include "test/support/test_certificates.h"
#include "test/support/tls_probe.h"

using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

// The certificate fingerprint `listener` presents once it equals `expected`
// (or whatever it presents after 10 s).
std::string fingerprint_when(ServerProcess& server, const char* listener,
                             const std::string& expected) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    const auto probe = tls_handshake(server.port(listener), TLS1_2_VERSION, TLS1_3_VERSION);
    if (probe.peer_fingerprint == expected || std::chrono::steady_clock::now() > deadline)
      return probe.peer_fingerprint;
    std::this_thread::sleep_for(50ms);
  }
}

bool output_holds(ServerProcess& server, const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.output().find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

}  // namespace

TEST_CASE("SIGHUP: both listeners take a new certificate and connected piles stay") {
  TestDatabase database;
  TestCertificates first;
  TestCertificates second;  // another CA's "localhost" certificate: the rotation
  namespace fs = std::filesystem;
  const std::string cert = first.directory() + "/live-cert.pem";
  const std::string key = first.directory() + "/live-key.pem";
  fs::copy_file(first.server().cert, cert);
  fs::copy_file(first.server().key, key);

  const std::map<std::string, std::string> env{{"CHARGELOCK_DATABASE_URL", database.url()},
                                               {"CHARGELOCK_ADMIN_TOKEN", kAdminToken}};
  auto [code, output] = ServerProcess::run(
      {"chargepoint", "add", "CP-TLS", "--password", "tls-pile-password-0123", "--profile", "2"},
      env);
  INFO(output);
  REQUIRE(code == 0);
  ServerProcess server({"serve", "--api-listen", "127.0.0.1:0", "--ocpp-listen", "127.0.0.1:0",
                        "--ocpp-tls-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                        "--api-tls-cert", cert, "--api-tls-key", key},
                       env, {"api", "ocpp ws", "ocpp wss"});
  const std::string old_print = certificate_fingerprint(first.server().cert);
  const std::string new_print = certificate_fingerprint(second.server().cert);
  REQUIRE(old_print != new_print);
  CHECK(fingerprint_when(server, "ocpp wss", old_print) == old_print);
  CHECK(fingerprint_when(server, "api", old_print) == old_print);

  OcppTestPile pile("CP-TLS");
  WsClientOptions options;
  options.ca_file = first.ca_file();
  options.basic_user = "CP-TLS";
  options.basic_password = "tls-pile-password-0123";
  REQUIRE(
      pile.connect(fmt::format("wss://127.0.0.1:{}", server.port("ocpp wss")), options).connected);
  pile.call_ok("BootNotification", R"({"chargePointVendor":"V","chargePointModel":"M"})");

  fs::copy_file(second.server().cert, cert, fs::copy_options::overwrite_existing);
  fs::copy_file(second.server().key, key, fs::copy_options::overwrite_existing);
  REQUIRE(server.signal(SIGHUP));
  CHECK(fingerprint_when(server, "ocpp wss", new_print) == new_print);
  CHECK(fingerprint_when(server, "api", new_print) == new_print);
  // The pile connected before the rotation was not dropped.
  CHECK(pile.client().is_open());
  pile.call_ok("Heartbeat", "{}");
  // A pile trusting the new CA connects.
  OcppTestPile after("CP-TLS");
  options.ca_file = second.ca_file();
  CHECK(
      after.connect(fmt::format("wss://127.0.0.1:{}", server.port("ocpp wss")), options).connected);

  // A key that does not match: refused, the listeners keep the certificate.
  fs::copy_file(first.server().key, key, fs::copy_options::overwrite_existing);
  REQUIRE(server.signal(SIGHUP));
  CHECK(output_holds(server, "ocpp wss: certificate reload failed"));
  CHECK(output_holds(server, "api: certificate reload failed"));
  CHECK(fingerprint_when(server, "ocpp wss", new_print) == new_print);
  CHECK(fingerprint_when(server, "api", new_print) == new_print);
  CHECK(server.running());
}
