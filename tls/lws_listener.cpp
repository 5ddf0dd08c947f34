#include "tls/lws_listener.h"

namespace chargelock::tls {

lws_context_creation_info context_info(void* user, bool tls) {
  lws_context_creation_info info{};
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  if (tls) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.user = user;
  info.server_string = "ChargeLock";
  return info;
}

lws_context_creation_info vhost_info(const char* name, const std::string& host, int port,
                                     const lws_protocols* protocols, void* user) {
  lws_context_creation_info info{};
  info.vhost_name = name;
  info.port = port;
  info.protocols = protocols;
  info.user = user;
  info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
  if (host.empty() || host == "0.0.0.0") {
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  } else if (host != "::") {
    info.iface = host.c_str();
    if (host.find(':') == std::string::npos) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  }
  return info;
}

std::string header_value(lws* wsi, lws_token_indexes token) {
  const int length = lws_hdr_total_length(wsi, token);
  if (length <= 0) return {};
  std::string value(static_cast<std::size_t>(length) + 1, '\0');
  const int copied = lws_hdr_copy(wsi, value.data(), length + 1, token);
  if (copied < 0) return {};
  value.resize(static_cast<std::size_t>(copied));
  return value;
}

}  // namespace chargelock::tls
