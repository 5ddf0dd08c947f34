// See lws_parser_refusals.h for why these two libwebsockets functions are
// interposed.
#include "api/lws_parser_refusals.h"

#include <dlfcn.h>
#include <libwebsockets.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "base/mutex.h"

namespace chargelock::api {
namespace {

base::Mutex registry_mutex;
std::vector<std::pair<const lws_vhost*, ParserRefusalHandler*>> registry GUARDED_BY(registry_mutex);

ParserRefusalHandler* handler_for(lws* wsi) {
  const lws_vhost* vhost = lws_get_vhost(wsi);
  if (vhost == nullptr) return nullptr;
  base::MutexLock lock(registry_mutex);
  for (const auto& [registered, handler] : registry)
    if (registered == vhost) return handler;
  return nullptr;
}

template <typename Function>
Function original(const char* name) {
  // RTLD_NEXT: the definition after this executable's, libwebsockets'.
  return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

using ReturnHttpStatus = int (*)(lws*, unsigned int, const char*);
using CloseFreeWsi = void (*)(lws*, lws_close_status, const char*);

}  // namespace

void register_parser_refusals(const lws_vhost* vhost, ParserRefusalHandler* handler) {
  base::MutexLock lock(registry_mutex);
  registry.emplace_back(vhost, handler);
}

void unregister_parser_refusals(const lws_vhost* vhost) {
  base::MutexLock lock(registry_mutex);
  registry.erase(std::remove_if(registry.begin(), registry.end(),
                                [vhost](const auto& entry) { return entry.first == vhost; }),
                 registry.end());
}

}  // namespace chargelock::api

using chargelock::api::handler_for;

// lws's URI decoder calls this with 403 for an invalid escape (and for an
// escape cut off by '?' or the end of the line) while the request line is
// being read: that is the client's malformed request, 400.
extern "C" int lws_return_http_status(lws* wsi, unsigned int code, const char* html_body) {
  static const auto lws_original =
      chargelock::api::original<chargelock::api::ReturnHttpStatus>("lws_return_http_status");
  if (code == HTTP_STATUS_FORBIDDEN && wsi != nullptr) {
    if (auto* handler = handler_for(wsi);
        handler != nullptr && handler->reading_request_head(wsi)) {
      handler->refuse_request_head(
          wsi, 400, "malformed request line: an invalid percent escape (use %XX, two hex digits)");
      return 0;
    }
  }
  return lws_original(wsi, code, html_body);
}

// "lws_read_h1 bail" is lws closing a connection whose request head it could
// not parse (a decoded NUL inside a path segment, a header table overflow)
// or whose callback asked to close. The handler tells the two apart: only a
// head no callback saw is answered here.
extern "C" void lws_close_free_wsi(lws* wsi, lws_close_status reason, const char* caller) {
  static const auto lws_original =
      chargelock::api::original<chargelock::api::CloseFreeWsi>("lws_close_free_wsi");
  if (wsi != nullptr && caller != nullptr && std::strcmp(caller, "lws_read_h1 bail") == 0) {
    if (auto* handler = handler_for(wsi); handler != nullptr && handler->reading_request_head(wsi))
      handler->refuse_request_head(
          wsi, 400,
          "malformed request: the request line or a header cannot be read (a %00 in the path?)");
  }
  lws_original(wsi, reason, caller);
}
