#include "tls/server_policy.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>

namespace chargelock::tls {

const char* const kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
const char* const kTls13Ciphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

void apply_server_tls(lws_context_creation_info& vhost, const char* cert_file,
                      const char* key_file) {
  // Without DO_SSL_GLOBAL_INIT on the vhost itself, lws 4.1 silently serves
  // the "TLS" vhost in plain text. The listeners make no outgoing TLS
  // connections: keep the OS CA bundle out of the client context lws
  // creates for every vhost anyway.
  vhost.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
  vhost.ssl_cert_filepath = cert_file;
  vhost.ssl_private_key_filepath = key_file;
  vhost.alpn = "http/1.1";
  vhost.ssl_cipher_list = kTls12Ciphers;
  vhost.tls1_3_plus_cipher_list = kTls13Ciphersuites;
  // lws hands these to SSL_CTX_set_options() on the vhost's context. The
  // version bits refuse SSLv3 / TLS 1.0 / TLS 1.1 handshakes even where the
  // system configuration would allow them.
  vhost.ssl_options_set = static_cast<long>(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                                            SSL_OP_CIPHER_SERVER_PREFERENCE |
                                            SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
}

namespace {

bool load_pair(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  return SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) == 1 &&
         SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) == 1 &&
         SSL_CTX_check_private_key(ctx) == 1;
}

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

bool apply_server_context_policy(SSL_CTX* ctx) {
  return ctx != nullptr && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1;
}

std::optional<std::string> reload_server_certificate(SSL_CTX* ctx, const std::string& cert_file,
                                                     const std::string& key_file) {
  if (ctx == nullptr) return std::string("the listener has no TLS context");
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> scratch(SSL_CTX_new(TLS_server_method()),
                                                            &SSL_CTX_free);
  if (!scratch || !load_pair(scratch.get(), cert_file, key_file))
    return cert_file + " / " + key_file + ": " + openssl_error();
  if (!load_pair(ctx, cert_file, key_file))  // checked above: only a race with the files
    return cert_file + " / " + key_file + " (changed while loading): " + openssl_error();
  return std::nullopt;
}

std::optional<std::string> reload_client_ca(SSL_CTX* ctx, const std::string& ca_file) {
  if (ctx == nullptr) return std::string("the listener has no TLS context");
  ERR_clear_error();
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  if (!store || X509_STORE_load_file(store.get(), ca_file.c_str()) != 1)
    return ca_file + ": " + openssl_error();
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file.c_str());
  if (names == nullptr || sk_X509_NAME_num(names) == 0) {
    if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
    return ca_file + ": no PEM certificate in the CA bundle";
  }
  // Both take ownership (and free what they replace); a handshake in
  // progress builds its verification context from the store only when the
  // client's certificate arrives, on this same thread.
  SSL_CTX_set_cert_store(ctx, store.release());
  SSL_CTX_set_client_CA_list(ctx, names);
  return std::nullopt;
}

}  // namespace chargelock::tls
