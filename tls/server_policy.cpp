#include "tls/server_policy.h"

#include <openssl/ssl.h>

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

}  // namespace chargelock::tls
