#include "ocpp/websockets/client_certificate.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace chargelock::ocpp::websockets {

std::optional<std::string> verified_client_common_name(const SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  // Without a peer certificate the verify result is X509_V_OK too, so the
  // certificate's presence is checked first.
  std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl), &X509_free);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;

  const X509_NAME* subject = X509_get_subject_name(cert.get());
  if (subject == nullptr) return std::nullopt;
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
    return std::nullopt;  // none, or ambiguous
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return std::nullopt;
  std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  if (cn.empty() || cn.find('\0') != std::string::npos) return std::nullopt;
  return cn;
}

}  // namespace chargelock::ocpp::websockets
