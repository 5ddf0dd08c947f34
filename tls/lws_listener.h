// The libwebsockets setup both listeners share: the OCPP server
// (ocpp/websockets/ocpp_server.cpp) and the REST API (api/http_server.cpp)
// build their context and vhost from these, so the listen-address rules
// (IPv4, IPv6, dual stack), the server string and reading parsed headers
// cannot drift apart. Their TLS policy is tls/server_policy.h.
//
// Threading: the *_info() functions only fill structs (call them on the
// thread that creates the context or vhost); header_value() runs on the
// listener's loop thread, inside an lws callback.
#pragma once

#include <libwebsockets.h>

#include <string>

namespace chargelock::tls {

// A context that listens only through explicit vhosts: the server string
// "ChargeLock", `user` for the callbacks, OpenSSL's global setup when any
// listener may speak TLS.
lws_context_creation_info context_info(void* user, bool tls);

// A vhost `name` listening on `host`:`port` (0: an ephemeral port) for
// `protocols`, failing rather than running without its socket. `host`:
// "" or "0.0.0.0" = every IPv4 interface, "::" = dual stack, otherwise an
// IP literal (IPv6 only when it has a ':') or an interface name. `host`
// and `protocols` must outlive lws_create_vhost().
lws_context_creation_info vhost_info(const char* name, const std::string& host, int port,
                                     const lws_protocols* protocols, void* user);

// The value of a header lws has parsed; "" when it is absent.
std::string header_value(lws* wsi, lws_token_indexes token);

}  // namespace chargelock::tls
