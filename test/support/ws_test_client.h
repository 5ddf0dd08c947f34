// A blocking websocket client for tests, on libwebsockets.
//
// Each WsTestClient drives one connection. The lws work happens on a
// WsClientLoop (an lws client context plus its service thread): by default
// every client makes its own small one; many clients can share one loop to
// keep hundreds of connections cheap. All public methods are thread-safe.
//
// TLS always verifies the server certificate against `ca_file` (and the host
// name or IP of the URL against its SAN); there is no insecure mode.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chargelock::test {

// An lws client context and the thread servicing it.
class WsClientLoop {
 public:
  // max_connections bounds the fds lws prepares tables for (0 = the process
  // limit). Keep it small for a loop serving a single client.
  explicit WsClientLoop(int max_connections = 0);
  ~WsClientLoop();  // closes whatever is still connected
  WsClientLoop(const WsClientLoop&) = delete;
  WsClientLoop& operator=(const WsClientLoop&) = delete;

  class Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct WsClientOptions {
  // Sec-WebSocket-Protocol to offer (may be a comma-separated list);
  // nullopt sends none.
  std::optional<std::string> subprotocol = std::string("ocpp1.6");
  std::optional<std::string> basic_user;  // with basic_password: HTTP Basic auth
  std::optional<std::string> basic_password;
  std::string ca_file;    // wss: the CA the server certificate must chain to
  std::string cert_file;  // wss: client certificate and key (mTLS), optional
  std::string key_file;
  // Request path sent verbatim instead of "/ocpp/" + percent-encoded id.
  std::optional<std::string> raw_path;
  std::chrono::milliseconds timeout{5000};
};

struct ConnectResult {
  bool connected = false;
  // 101 when connected; the status of a refused upgrade (400, 401, 404...);
  // 0 when there was no HTTP answer at all (TCP or TLS failure, hang-up).
  int http_status = 0;
  std::string www_authenticate;  // of a refusal, if the server sent one
  std::string error;             // lws's description of a failure
};

class WsTestClient {
 public:
  WsTestClient();  // with its own loop
  explicit WsTestClient(std::shared_ptr<WsClientLoop> loop);
  ~WsTestClient();  // closes the connection (code 1000) if still open
  WsTestClient(const WsTestClient&) = delete;
  WsTestClient& operator=(const WsTestClient&) = delete;

  // url: "ws://HOST:PORT" or "wss://HOST:PORT" (a path in it is ignored).
  // Blocks until the upgrade succeeded or failed, or options.timeout. One
  // connection per client object.
  ConnectResult connect(const std::string& url, const std::string& charge_point_id,
                        const WsClientOptions& options = {});

  bool send_text(const std::string& text);  // false when not connected
  bool send_binary(const std::string& data);
  // One text message sent as several websocket frames (first TEXT, then
  // CONTINUATION, FIN on the last).
  bool send_text_fragments(const std::vector<std::string>& fragments);
  // The next complete text message, or nothing after `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  // Waits until the connection has closed; returns the close code the server
  // sent, 1000 after our own close(), 1006 when it closed without a close
  // frame; nothing on timeout.
  std::optional<int> wait_closed(std::chrono::milliseconds timeout);
  // false: stop reading from the socket, so PINGs go unanswered (the peer
  // looks dead); true: read again (also answers pings and notices a close).
  void set_answer_pings(bool answer);
  void close();  // sends a normal close (1000); see wait_closed()
  bool is_open() const;

  struct State;

 private:
  std::shared_ptr<WsClientLoop> loop_;
  std::shared_ptr<State> state_;
};

// "CP 1/x" -> "CP%201%2Fx": everything but RFC 3986 unreserved characters.
std::string percent_encode(const std::string& text);

}  // namespace chargelock::test
