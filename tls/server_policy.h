// The one TLS policy of ChargeLock's listeners (SPEC §7): the OCPP wss://
// listener (ocpp/websockets/ocpp_server.cpp) and the REST API's https://
// listener (api/http_server.cpp) both build their libwebsockets vhost
// through apply_server_tls(), so they cannot drift apart.
//
//  - TLS 1.2 and 1.3 only: SSLv3, TLS 1.0 and 1.1 are switched off on the
//    context itself, whatever the system's openssl.cnf allows (OpenSSL 3
//    refuses TLS < 1.2 only at its default security level, which a system
//    configuration may lower).
//  - TLS 1.2 ciphers: ECDHE key exchange (forward secrecy) with an AEAD
//    (AES-GCM or ChaCha20-Poly1305) only, ECDSA and RSA certificates. So no
//    anonymous, export, NULL, RC4, 3DES or CBC suites, and no static RSA key
//    exchange. TLS 1.3: its three standard AEAD suites.
//  - The server's cipher order wins; no compression (CRIME), no
//    renegotiation.
//  - HTTP/1.1 only in ALPN (OCPP-J is an h1 upgrade; the API is h1).
//
// Threading: apply_server_tls() only fills a struct; call it on the thread
// that creates the vhost.
#pragma once

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include <optional>
#include <string>

namespace chargelock::tls {

// OpenSSL cipher strings of the policy (exposed for tests and docs).
extern const char* const kTls12Ciphers;
extern const char* const kTls13Ciphersuites;

// Sets certificate, key and the policy above on a vhost's creation info.
// The strings must outlive the lws_create_vhost() call.
void apply_server_tls(lws_context_creation_info& vhost, const char* cert_file,
                      const char* key_file);

// The part of the policy set on the SSL_CTX itself (TLS 1.2 as the lowest
// version), belt and braces to the options apply_server_tls() hands lws.
// Call with the SSL_CTX lws passes as `user` with
// LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS. False when OpenSSL
// refuses (then the vhost must not be used).
bool apply_server_context_policy(SSL_CTX* ctx);

// Certificate rotation without a restart (SIGHUP): puts the certificate
// chain and key from these files into a listener's SSL_CTX (which lws hands
// to the protocol callback as `user` with
// LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS). New handshakes use
// them; established connections keep the certificate they were made with.
// The pair is first loaded into a scratch context, so an unreadable or
// mismatched pair leaves the listener as it was. Returns the problem, or
// nothing on success. Call on the listener's loop thread.
std::optional<std::string> reload_server_certificate(SSL_CTX* ctx, const std::string& cert_file,
                                                     const std::string& key_file);

// CA rotation for client certificates (profile 3) without a restart
// (SIGHUP): replaces the trust store that verifies client certificates, and
// the CA names offered in the CertificateRequest, with the certificates of
// this PEM bundle. New handshakes are verified against it; established
// connections stay. A bundle that cannot be read or holds no certificate
// leaves the listener as it was. Returns the problem, or nothing on success.
// Call on the listener's loop thread.
std::optional<std::string> reload_client_ca(SSL_CTX* ctx, const std::string& ca_file);

}  // namespace chargelock::tls
