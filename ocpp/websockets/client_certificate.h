// Identity of a TLS client certificate, as far as it can be trusted.
#pragma once

#include <optional>
#include <string>

typedef struct ssl_st SSL;

namespace chargelock::ocpp::websockets {

// The subject common name of the peer certificate of `ssl`, but only when the
// handshake verified that certificate against the listener's CA
// (SSL_get_verify_result() == X509_V_OK). The server lets the handshake go on
// with a certificate that does not verify (profile-2 piles may present a
// vendor certificate), so this check is what keeps an untrusted certificate
// from ever naming a charge point. Also nothing when there is no certificate,
// no or several CN entries, or a CN with an embedded NUL.
std::optional<std::string> verified_client_common_name(const SSL* ssl);

}  // namespace chargelock::ocpp::websockets
