// The TLS policy of both listeners (SPEC §7, tls/server_policy.h): the OCPP
// wss:// listener and the API's https:// listener accept TLS 1.2 and 1.3
// only, and TLS 1.2 only with ECDHE + AEAD ciphers, even on a system whose
// OpenSSL configuration allows TLS 1.0 and weak ciphers (the server runs
// with such an OPENSSL_CONF here, so the policy, not the system, decides).
#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "test/support/api_fixture.h"
#include "test/support/test_certificates.h"
#include "test/support/tls_probe.h"

using namespace chargelock::test;

namespace {

struct TlsServer {
  TestDatabase database;
  TestCertificates certificates;
  std::string permissive_conf = certificates.directory() + "/permissive-openssl.cnf";
  std::unique_ptr<ServerProcess> server;

  TlsServer() {
    // What a system with old clients to serve might configure.
    std::ofstream(permissive_conf) << "openssl_conf = default_conf\n"
                                      "[default_conf]\n"
                                      "ssl_conf = ssl_sect\n"
                                      "[ssl_sect]\n"
                                      "system_default = system_default_sect\n"
                                      "[system_default_sect]\n"
                                      "MinProtocol = TLSv1\n"
                                      "CipherString = ALL:@SECLEVEL=0\n";
    server = std::make_unique<ServerProcess>(
        std::vector<std::string>{"serve", "--api-listen", "127.0.0.1:0", "--ocpp-listen",
                                 "127.0.0.1:0", "--ocpp-tls-listen", "127.0.0.1:0", "--tls-cert",
                                 certificates.server().cert, "--tls-key", certificates.server().key,
                                 "--api-tls-cert", certificates.server().cert, "--api-tls-key",
                                 certificates.server().key},
        std::map<std::string, std::string>{{"CHARGELOCK_DATABASE_URL", database.url()},
                                           {"CHARGELOCK_ADMIN_TOKEN", kAdminToken},
                                           {"OPENSSL_CONF", permissive_conf}},
        std::vector<std::string>{"api", "ocpp ws", "ocpp wss"});
  }
};

}  // namespace

TEST_CASE("tls policy: TLS 1.0 and 1.1 clients are refused by both listeners") {
  TlsServer tls;
  for (const char* listener : {"ocpp wss", "api"}) {
    INFO(listener);
    const int port = tls.server->port(listener);
    const auto v11 = tls_handshake(port, TLS1_1_VERSION, TLS1_1_VERSION);
    INFO(v11.protocol << " " << v11.cipher << " " << v11.error);
    CHECK_FALSE(v11.connected);
    CHECK_THAT(v11.error, Catch::StartsWith("handshake refused"));
    const auto v10 = tls_handshake(port, TLS1_VERSION, TLS1_VERSION);
    CHECK_FALSE(v10.connected);
    CHECK_THAT(v10.error, Catch::StartsWith("handshake refused"));
    // The same client allowed 1.2 gets in: the refusal is the version's.
    CHECK(tls_handshake(port, TLS1_1_VERSION, TLS1_2_VERSION).connected);
  }
}

TEST_CASE("tls policy: TLS 1.2 with ECDHE and an AEAD cipher, and TLS 1.3, connect to both") {
  TlsServer tls;
  for (const char* listener : {"ocpp wss", "api"}) {
    INFO(listener);
    const int port = tls.server->port(listener);
    const auto v12 = tls_handshake(port, TLS1_2_VERSION, TLS1_2_VERSION);
    INFO(v12.error);
    REQUIRE(v12.connected);
    CHECK(v12.protocol == "TLSv1.2");
    CHECK_THAT(v12.cipher, Catch::StartsWith("ECDHE-"));
    const bool aead = v12.cipher.find("GCM") != std::string::npos ||
                      v12.cipher.find("CHACHA20-POLY1305") != std::string::npos;
    CHECK(aead);
    const auto v13 = tls_handshake(port, TLS1_3_VERSION, TLS1_3_VERSION);
    INFO(v13.error);
    REQUIRE(v13.connected);
    CHECK(v13.protocol == "TLSv1.3");
  }
}

// (Debian's OpenSSL 3 has no export, RC4 or 3DES suites left for a client
// to offer; the server's list names none of them either.)
TEST_CASE("tls policy: TLS 1.2 clients offering only CBC, NULL or anonymous ciphers are refused") {
  TlsServer tls;
  for (const char* listener : {"ocpp wss", "api"}) {
    INFO(listener);
    const int port = tls.server->port(listener);
    for (const char* ciphers : {"ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0",
                                "ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0", "aNULL:@SECLEVEL=0"}) {
      INFO(ciphers);
      const auto result = tls_handshake(port, TLS1_2_VERSION, TLS1_2_VERSION, ciphers);
      INFO(result.cipher << " " << result.error);
      CHECK_FALSE(result.connected);
      // Refused by the server, not by a client that could not even offer them.
      CHECK_THAT(result.error, Catch::StartsWith("handshake refused"));
    }
  }
}
