// chargelock-limit: the smallest OCPP 1.6J server this machine can run, the
// ceiling bench/run.sh measures ChargeLock's round trips against (issue 14,
// "How close to the limit"). It sits on the same loop as ChargeLock's OCPP
// server — libwebsockets 4.1 joined to a libev (epoll) loop as a foreign
// loop, the context and vhost built by tls/lws_listener.h — and does nothing
// else: every CALL gets a canned CALLRESULT for its action, with no
// validation, no database, no log, no authentication. Only the message id
// is copied from the CALL. One thread.
//
//   chargelock-limit --listen HOST:PORT
//
// Prints "limit listening on HOST:PORT" on stderr once the socket is bound;
// runs until SIGINT/SIGTERM.
#include <ev.h>
#include <libwebsockets.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>

#include "tls/lws_listener.h"

namespace {

// What a pile's connection keeps: the frame being received (a CALL may
// arrive in several fragments) and the answers not yet written.
struct Session {
  std::string frame;
  std::deque<std::string> outbox;  // each with LWS_PRE bytes in front
};

// The text between the quotes of the first string at or after `from`, or ""
// when there is none. Message ids and action names never contain escapes in
// practice; this server does not look further (no validation).
std::string_view quoted_at(std::string_view text, std::size_t& from) {
  const std::size_t open = text.find('"', from);
  if (open == std::string_view::npos) return {};
  const std::size_t close = text.find('"', open + 1);
  if (close == std::string_view::npos) return {};
  from = close + 1;
  return text.substr(open + 1, close - open - 1);
}

// The canned CALLRESULT payload per action: what a central system that
// accepts everything would answer.
std::string_view canned_payload(std::string_view action) {
  if (action == "BootNotification")
    return R"({"status":"Accepted","currentTime":"2026-01-01T00:00:00.000Z","interval":60})";
  if (action == "Heartbeat") return R"({"currentTime":"2026-01-01T00:00:00.000Z"})";
  if (action == "Authorize") return R"({"idTagInfo":{"status":"Accepted"}})";
  if (action == "StartTransaction")
    return R"({"transactionId":1,"idTagInfo":{"status":"Accepted"}})";
  if (action == "DataTransfer") return R"({"status":"Accepted"})";
  return "{}";  // StatusNotification, MeterValues, StopTransaction, …
}

// The answer to `frame`, or "" when it is not a CALL (answers of the pile
// to CALLs this server never sends, garbage).
std::string answer(std::string_view frame) {
  std::size_t at = frame.find('[');
  if (at == std::string_view::npos) return {};
  at = frame.find_first_not_of(" \t\r\n", at + 1);
  if (at == std::string_view::npos || frame[at] != '2') return {};
  const std::string_view id = quoted_at(frame, at);
  const std::string_view action = quoted_at(frame, at);
  std::string out(LWS_PRE, '\0');
  out += "[3,\"";
  out += id;
  out += "\",";
  out += canned_payload(action);
  out += ']';
  return out;
}

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
  auto* session = static_cast<Session*>(user);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      new (session) Session();
      return 0;
    case LWS_CALLBACK_RECEIVE: {
      session->frame.append(static_cast<const char*>(in), len);
      if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return 0;
      std::string reply = answer(session->frame);
      session->frame.clear();
      if (reply.empty()) return 0;
      session->outbox.push_back(std::move(reply));
      lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (session->outbox.empty()) return 0;
      std::string& next = session->outbox.front();
      const std::size_t body = next.size() - LWS_PRE;
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(next.data()) + LWS_PRE, body,
                    LWS_WRITE_TEXT) < static_cast<int>(body)) {
        return -1;
      }
      session->outbox.pop_front();
      if (!session->outbox.empty()) lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLOSED:
      session->~Session();
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

// "ocpp1.6", as ChargeLock: lws binds the HTTP phase to protocols[0] too.
const lws_protocols kProtocols[] = {
    {"ocpp1.6", callback, sizeof(Session), 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// SIGINT/SIGTERM set this; a 0.25 s libev timer (as ChargeLock's loop
// ticks) sees it and leaves the loop, so the context is destroyed cleanly.
volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

void on_tick(struct ev_loop* loop, ev_timer*, int) {
  if (g_stop != 0) ev_break(loop, EVBREAK_ALL);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::strcmp(argv[1], "--listen") != 0) {
    std::fprintf(stderr, "usage: chargelock-limit --listen HOST:PORT\n");
    return 2;
  }
  const std::string listen = argv[2];
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "chargelock-limit: --listen: expected HOST:PORT\n");
    return 2;
  }
  const std::string host = listen.substr(0, colon);
  const int port = std::atoi(listen.c_str() + colon + 1);
  lws_set_log_level(LLL_ERR, nullptr);

  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
  if (loop == nullptr) {
    std::fprintf(stderr, "chargelock-limit: no libev loop\n");
    return 1;
  }
  void* foreign_loops[] = {loop};
  lws_context_creation_info info = chargelock::tls::context_info(nullptr, false);
  info.options |= LWS_SERVER_OPTION_LIBEV;
  info.foreign_loops = foreign_loops;
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) {
    std::fprintf(stderr, "chargelock-limit: cannot create the lws context (libev plugin?)\n");
    return 1;
  }
  const lws_context_creation_info vhost =
      chargelock::tls::vhost_info("limit", host, port, kProtocols, nullptr);
  lws_vhost* listener = lws_create_vhost(context, &vhost);
  if (listener == nullptr) {
    std::fprintf(stderr, "chargelock-limit: cannot listen on %s\n", listen.c_str());
    lws_context_destroy(context);
    ev_loop_destroy(loop);
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  ev_timer tick;
  ev_timer_init(&tick, on_tick, 0.25, 0.25);
  ev_timer_start(loop, &tick);
  std::fprintf(stderr, "limit listening on %s:%d\n", host.c_str(),
               lws_get_vhost_listen_port(listener));
  ev_run(loop, 0);
  ev_timer_stop(loop, &tick);
  lws_context_destroy(context);
  ev_loop_destroy(loop);
  return 0;
}
