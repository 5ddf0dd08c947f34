// The OCPP-J websocket server: one libwebsockets event loop serving
// ws(s)://HOST:PORT/ocpp/{chargePointId} with the "ocpp1.6" subprotocol.
//
// Threading contract: run() owns the calling thread and runs the event loop
// on it. Every ConnectionHandler callback is made on that loop thread and
// must not block. send(), close(), post() and stop() are safe from any thread;
// their effect happens later on the loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace chargelock::ocpp {

using SessionId = std::uint64_t;

struct ListenerConfig {
  std::string host = "0.0.0.0";
  int port = 0;  // 0 = pick a free port (see OcppServer::bound_port)
  // TLS (wss://) when cert_file is set. When ca_file is set too, client
  // certificates are requested and verified against it, but not required:
  // profile-2 piles have none.
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
};

struct ServerConfig {
  std::optional<ListenerConfig> plain;  // ws://, security profile 1
  std::optional<ListenerConfig> tls;    // wss://, security profiles 2 and 3
  // Keepalive: a websocket PING after ping_interval_s without a PONG or an
  // inbound message, hang-up pong_timeout_s later (then on_close).
  // ping_interval_s <= 0 turns it off. Whole seconds, at most 30000.
  int ping_interval_s = 30;  // websocket PING after this much silence
  int pong_timeout_s = 30;   // hang up when no PONG/traffic after ping
  std::size_t max_frame_bytes = 64 * 1024;
  // Upgrade attempts per source address (SPEC §7 "Limits"): a token bucket
  // per address, checked before any password is hashed; beyond it the
  // attempt is answered 429 and logged. Generous when on, as piles behind a
  // carrier's NAT share an address; 0 turns it off (behind a proxy that
  // hides the piles' addresses, or for simulators on one host).
  // Off here; the program's default (app/config.h) turns it on.
  double connect_rate = 0;     // attempts per second per address
  double connect_burst = 500;  // at once after a quiet spell
  // Health for load balancers, on every listener (plain HTTP GET):
  // /healthz answers 200 while the loop runs; /readyz answers 200 when
  // `ready` says so (unset: always) and the server still accepts piles,
  // 503 otherwise. Called on the loop thread: must not block.
  std::function<bool()> ready;
  // libwebsockets log levels to print (bit mask of LLL_*; 1 = errors,
  // 2 = warnings). Process-wide: libwebsockets has one logger.
  int lws_log_levels = 1 | 2;
};

// What the upgrade request carried; decided on by the handler.
struct UpgradeRequest {
  std::string charge_point_id;  // URL-decoded last path segment after /ocpp/
  bool tls = false;             // arrived on the wss:// listener
  std::optional<std::string> basic_user;
  std::optional<std::string> basic_password;
  // Common name of a client certificate that verified against the CA.
  std::optional<std::string> client_cert_cn;
  std::string remote_address;
};

enum class UpgradeVerdict {
  Accept,
  Unauthorized,  // HTTP 401 with WWW-Authenticate: Basic
  NotFound,      // HTTP 404 (ChargeLock answers unknown charge points 401, see
                 // core::AccessDecision::UnknownId)
};

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Called before the upgrade is answered; the subprotocol and path were
  // already checked by the server.
  virtual UpgradeVerdict on_upgrade(const UpgradeRequest& request) = 0;
  virtual void on_open(SessionId session, const std::string& charge_point_id) = 0;
  // One complete text message (fragments reassembled).
  virtual void on_text(SessionId session, std::string text) = 0;
  // The peer went away, was replaced, or stopped answering pings.
  virtual void on_close(SessionId session) = 0;
};

class OcppServer {
 public:
  // Throws std::runtime_error when a listener cannot be created (port in
  // use, unreadable certificate, ...), with a message naming the cause.
  OcppServer(ServerConfig config, ConnectionHandler& handler);
  ~OcppServer();
  OcppServer(const OcppServer&) = delete;
  OcppServer& operator=(const OcppServer&) = delete;

  // Port actually bound (useful with port 0). Valid after construction.
  int plain_port() const;
  int tls_port() const;

  // Blocks until stop(); returns at once if stop() came first. Call it once.
  // Destroy the server only after run() has returned (or if it never ran):
  // the destructor closes the remaining connections without calling the
  // handler.
  void run();
  void stop();  // thread-safe
  // Thread-safe: re-reads the wss:// listener's certificate and key files,
  // and its client CA bundle when it verifies client certificates (SIGHUP);
  // connected piles stay. A bad pair or bundle is logged and ignored.
  void reload_certificates();

  // Graceful shutdown (SIGTERM), in steps the caller paces. Loop thread.
  // From now on upgrades are refused with 503 Service Unavailable.
  void stop_accepting();
  // Closes every session with websocket close `code` (e.g. 1001 Going
  // Away) once the messages already sent to it are written.
  void close_all(int code);
  std::size_t session_count() const;
  // Keepalive PINGs written so far, to every session. Thread-safe. Tests
  // wait on it for the next keepalive round: lws 4.1 answers a PING inside
  // its client without telling the client's code.
  std::uint64_t pings_sent() const;

  // Messages to one session go out in order. A session with more than 1024
  // unsent messages (a peer that stopped reading) is closed.
  void send(SessionId session, std::string text);  // thread-safe; dropped if closed
  // Thread-safe; the websocket close carries `code` (RFC 6455 §7.4.1).
  void close(SessionId session, int code = 1000);
  void post(std::function<void()> task);  // thread-safe; runs on the loop

  // Urgent work: what a person waits on (the answer to a pile's
  // VehicleLocked), overtaking the bulk work of other piles on the loop.
  // Under a flood one pass of the loop serves thousands of piles' frames;
  // an urgent task runs at the next libwebsockets callback instead (it is
  // looked for before each pile's receive and writable callback, not only
  // once a pass), and an urgent frame is written at once when nothing is
  // queued before it for that session and its socket takes it, instead of
  // waiting for the socket's writable callback in the next pass. Order per
  // session is kept: an urgent frame never overtakes one queued before it
  // for the same session. Thread-safe; dropped as post() and send() are.
  void post_urgent(std::function<void()> task);
  void send_urgent(SessionId session, std::string text);
  // Thread-safe; runs `task` on the loop once `delay` has passed (not before
  // run() is looping). Tasks still pending when the server is destroyed are
  // dropped without running.
  void schedule(std::chrono::milliseconds delay, std::function<void()> task);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::ocpp
