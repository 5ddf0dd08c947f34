// Early, readable validation of a listener's TLS files. libwebsockets only
// logs some of these failures (an unreadable CA file does not stop the vhost
// from starting), so the server checks them itself before creating a vhost.
#pragma once

#include <string>

namespace chargelock::ocpp::websockets {

// Throws std::runtime_error naming the file and the problem when the
// certificate or key cannot be read as PEM, the key does not belong to the
// certificate, or a non-empty ca_file holds no certificate.
void check_tls_files(const std::string& cert_file, const std::string& key_file,
                     const std::string& ca_file);

}  // namespace chargelock::ocpp::websockets
