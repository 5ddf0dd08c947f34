// SIGHUP re-reads the TLS certificate and key of both listeners, and the
// client CA bundle of the profile 3 listener, without a restart (certificate
// and CA rotation): new handshakes get the new certificate or are verified
// against the new CAs, connected piles stay connected, and a bad pair or
// bundle is refused with a log line while the listener keeps the old one.
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <vector>

#include "test/support/api_fixture.h"
#include "test/support/eventually.h"
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
  std::string presented;
  eventually(
      [&] {
        presented =
            tls_handshake(server.port(listener), TLS1_2_VERSION, TLS1_3_VERSION).peer_fingerprint;
        return presented == expected;
      },
      10s, 50ms);
  return presented;
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
  CHECK(server.output_holds("ocpp wss: certificate reload failed"));
  CHECK(server.output_holds("api: certificate reload failed"));
  CHECK(fingerprint_when(server, "ocpp wss", new_print) == new_print);
  CHECK(fingerprint_when(server, "api", new_print) == new_print);
  CHECK(server.running());
}

TEST_CASE("SIGHUP: the profile 3 listener takes a new client CA bundle and connected piles stay") {
  TestDatabase database;
  TestCertificates certificates;
  namespace fs = std::filesystem;
  const std::string bundle = certificates.directory() + "/live-client-ca.pem";
  fs::copy_file(certificates.ca_file(), bundle);
  const auto write_bundle = [&bundle](const std::vector<std::string>& files) {
    std::ofstream out(bundle, std::ios::trunc);
    for (const std::string& file : files) out << std::ifstream(file).rdbuf();
  };

  const std::map<std::string, std::string> env{{"CHARGELOCK_DATABASE_URL", database.url()},
                                               {"CHARGELOCK_ADMIN_TOKEN", kAdminToken}};
  // One id per pile that must stay connected (a second session of an id
  // replaces the first).
  for (const char* id : {"CP-P3A", "CP-P3B", "CP-P3C"}) {
    auto [code, output] = ServerProcess::run({"chargepoint", "add", id, "--profile", "3"}, env);
    INFO(output);
    REQUIRE(code == 0);
  }
  ServerProcess server(
      {"serve", "--api-listen", "127.0.0.1:0", "--ocpp-listen", "127.0.0.1:0", "--ocpp-tls-listen",
       "127.0.0.1:0", "--tls-cert", certificates.server().cert, "--tls-key",
       certificates.server().key, "--tls-ca", bundle},
      env, {"api", "ocpp ws", "ocpp wss"});
  const std::string url = fmt::format("wss://127.0.0.1:{}", server.port("ocpp wss"));
  const auto options_for = [&certificates](const CertificateFiles& client) {
    WsClientOptions options;
    options.ca_file = certificates.ca_file();  // verifies the server
    options.cert_file = client.cert;
    options.key_file = client.key;
    return options;
  };
  const CertificateFiles& old_ca_client = certificates.client("CP-P3A");
  const CertificateFiles& new_ca_client = certificates.untrusted_client("CP-P3B");

  OcppTestPile before("CP-P3A");
  REQUIRE(before.connect(url, options_for(old_ca_client)).connected);
  before.call_ok("BootNotification", R"({"chargePointVendor":"V","chargePointModel":"M"})");
  OcppTestPile refused("CP-P3B");
  CHECK_FALSE(refused.connect(url, options_for(new_ca_client)).connected);

  // The operator adds the new CA to the bundle: certificates of both connect.
  write_bundle({certificates.ca_file(), certificates.untrusted_ca_file()});
  REQUIRE(server.signal(SIGHUP));
  REQUIRE(server.output_holds("client CA bundle reloaded"));
  OcppTestPile added("CP-P3B");
  CHECK(added.connect(url, options_for(new_ca_client)).connected);
  // The pile connected before was not dropped.
  CHECK(before.client().is_open());
  before.call_ok("Heartbeat", "{}");

  // ...then retires the old one: its certificates are refused from now on.
  write_bundle({certificates.untrusted_ca_file()});
  REQUIRE(server.signal(SIGHUP));
  const auto reloads = [&server] {
    std::size_t count = 0;
    for (std::size_t at = 0;
         (at = server.output().find("client CA bundle reloaded", at)) != std::string::npos; ++at)
      ++count;
    return count;
  };
  eventually([&] { return reloads() >= 2; }, 10s, 50ms);
  REQUIRE(reloads() == 2);
  OcppTestPile retired("CP-P3C");
  CHECK_FALSE(retired.connect(url, options_for(certificates.client("CP-P3C"))).connected);
  OcppTestPile current("CP-P3B");
  CHECK(current.connect(url, options_for(new_ca_client)).connected);

  // A bundle without a certificate: refused, the listener keeps the last one.
  write_bundle({});
  REQUIRE(server.signal(SIGHUP));
  CHECK(server.output_holds("ocpp wss: client CA reload failed"));
  OcppTestPile still("CP-P3B");
  CHECK(still.connect(url, options_for(new_ca_client)).connected);
  CHECK(server.running());
}
