// A bare TLS handshake against a listener, with the client's protocol
// versions and TLS 1.2 ciphers forced (OpenSSL's SSL_CTX_set_min/max_proto_
// version), to check what a server accepts. The client accepts everything
// itself (security level 0, no certificate check): only the server's policy
// decides.
#pragma once

#include <string>

namespace chargelock::test {

struct TlsProbeResult {
  bool connected = false;
  std::string protocol;          // "TLSv1.2", "TLSv1.3" when connected
  std::string cipher;            // OpenSSL name of the negotiated cipher
  std::string peer_fingerprint;  // SHA-256 of the server certificate (hex)
  std::string error;             // why the handshake failed
};

// versions: TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION.
TlsProbeResult tls_handshake(int port, int min_version, int max_version,
                             const std::string& tls12_ciphers = "ALL:@SECLEVEL=0");

// SHA-256 (hex) of the first certificate in a PEM file; empty when unreadable.
std::string certificate_fingerprint(const std::string& pem_file);

}  // namespace chargelock::test
