// Answers for requests that libwebsockets 4.1 refuses while it parses their
// head, before any callback of ours runs. Its URI decoder answers an invalid
// percent escape ("%zz", "%4/") with its own HTML 403 page
// (lws_return_http_status), and drops the connection without a word for a
// %00 inside a path segment (lws_parse fails; lws_read_h1 closes the wsi).
// No option of lws 4.1 turns the decoder off or hooks its refusals, so this
// module interposes the two exported lws functions those paths call (lws
// calls its exported functions through its PLT, so the executable's
// definitions win; the originals are reached with dlsym(RTLD_NEXT)) and lets
// the owner of a registered vhost answer instead. Other vhosts, and every
// other use of the two functions, get lws's own behaviour unchanged.
//
// Thread contract: register/unregister from any thread (a mutex guards the
// registry); the handler is called on the service thread of the wsi's
// context, from inside lws.
#pragma once

struct lws;
struct lws_vhost;

namespace chargelock::api {

class ParserRefusalHandler {
 public:
  virtual ~ParserRefusalHandler() = default;
  // Whether lws is reading the head of a request on `wsi` that no callback
  // has seen yet (a new connection, or a kept-alive one between requests),
  // and nothing was answered on it.
  virtual bool reading_request_head(lws* wsi) = 0;
  // Writes `status` with the JSON error `message` and "Connection: close";
  // lws closes the connection right after.
  virtual void refuse_request_head(lws* wsi, int status, const char* message) = 0;
};

// REQUIRES: `handler` outlives the registration; unregister before the
// vhost is destroyed.
void register_parser_refusals(const lws_vhost* vhost, ParserRefusalHandler* handler);
void unregister_parser_refusals(const lws_vhost* vhost);

}  // namespace chargelock::api
