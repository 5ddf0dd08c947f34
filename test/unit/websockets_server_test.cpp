// OcppServer against real websocket connections on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ocpp/websockets/ocpp_server.h"
#include "test/support/eventually.h"
#include "test/support/test_certificates.h"
#include "test/support/ws_test_client.h"

using namespace std::chrono_literals;
using chargelock::ocpp::ConnectionHandler;
using chargelock::ocpp::ListenerConfig;
using chargelock::ocpp::OcppServer;
using chargelock::ocpp::ServerConfig;
using chargelock::ocpp::SessionId;
using chargelock::ocpp::UpgradeRequest;
using chargelock::ocpp::UpgradeVerdict;
using chargelock::test::eventually;
using chargelock::test::TestCertificates;
using chargelock::test::WsClientLoop;
using chargelock::test::WsClientOptions;
using chargelock::test::WsTestClient;

namespace {

// Records every callback and echoes each text message back.
class EchoHandler : public ConnectionHandler {
 public:
  std::function<UpgradeVerdict(const UpgradeRequest&)> decide = [](const UpgradeRequest&) {
    return UpgradeVerdict::Accept;
  };
  bool echo = true;
  OcppServer* server = nullptr;

  UpgradeVerdict on_upgrade(const UpgradeRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    upgrades_.push_back(request);
    changed_.notify_all();
    return decide(request);
  }
  void on_open(SessionId session, const std::string& charge_point_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    opened_[session] = charge_point_id;
    changed_.notify_all();
  }
  void on_text(SessionId session, std::string text) override {
    if (echo) server->send(session, text);
    std::lock_guard<std::mutex> lock(mutex_);
    texts_.emplace_back(session, std::move(text));
    changed_.notify_all();
  }
  void on_close(SessionId session) override {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_.push_back(session);
    changed_.notify_all();
  }

  bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, condition);
  }
  std::size_t upgrade_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return upgrades_.size();
  }
  UpgradeRequest last_upgrade() {
    std::lock_guard<std::mutex> lock(mutex_);
    return upgrades_.back();
  }
  std::size_t open_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return opened_.size();
  }
  std::size_t close_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_.size();
  }
  // The session opened for a charge point (0 if none yet).
  SessionId session_of(const std::string& charge_point_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [session, id] : opened_) {
      if (id == charge_point_id) return session;
    }
    return 0;
  }
  std::vector<std::string> texts() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const auto& entry : texts_) out.push_back(entry.second);
    return out;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<UpgradeRequest> upgrades_;
  std::map<SessionId, std::string> opened_;
  std::vector<std::pair<SessionId, std::string>> texts_;
  std::vector<SessionId> closed_;
};

// A server on ephemeral loopback ports, its loop on a thread of its own.
class RunningServer {
 public:
  explicit RunningServer(ServerConfig config) {
    handler.server = nullptr;
    server = std::make_unique<OcppServer>(std::move(config), handler);
    handler.server = server.get();
    loop = std::thread([this] { server->run(); });
  }
  ~RunningServer() {
    server->stop();
    loop.join();
  }
  std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(server->plain_port()); }
  std::string wss_url(const std::string& host = "localhost") const {
    return "wss://" + host + ":" + std::to_string(server->tls_port());
  }

  EchoHandler handler;
  std::unique_ptr<OcppServer> server;
  std::thread loop;
};

ListenerConfig loopback() {
  ListenerConfig listener;
  listener.host = "127.0.0.1";
  listener.port = 0;
  return listener;
}

ServerConfig plain_config() {
  ServerConfig config;
  config.plain = loopback();
  return config;
}

ServerConfig tls_config(const TestCertificates& certificates, bool verify_clients) {
  ServerConfig config;
  ListenerConfig listener = loopback();
  listener.cert_file = certificates.server().cert;
  listener.key_file = certificates.server().key;
  if (verify_clients) listener.ca_file = certificates.ca_file();
  config.tls = listener;
  return config;
}

// The status line of a plain HTTP/1.1 GET, or "" when there was none.
std::string plain_http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[512];
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n > 0) response.assign(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response.substr(0, response.find("\r\n"));
}

}  // namespace

// In a reconnect storm thousands of piles connect at once and the last
// ones' upgrade requests are read many seconds after their TCP connect.
// lws hung such a connection up after 10 s (its header-table idle time),
// and the pile came back only after its back-off: 24.7 s to boot 10,000
// piles after a restart. A request read within the handshake's 30 s is
// answered.
TEST_CASE("an upgrade request read 12 s after the connect is still answered",
          "[websockets][slow]") {
  RunningServer running(plain_config());
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(running.server->plain_port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  // Real time, and a fixed wait: the window under test is lws's own (the
  // accepted connection's timeout_secs, counted on lws's monotonic clock,
  // which an injected clock cannot reach), and what must be shown is that
  // it outlasts lws's built-in 10 s header-table idle limit. The wait
  // itself is the input; there is nothing to poll for.
  std::this_thread::sleep_for(12s);
  const std::string request =
      "GET /ocpp/CP-LATE HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n";
  std::string response;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    char buffer[512];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n > 0) response.assign(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  CHECK(response.substr(0, response.find("\r\n")) == "HTTP/1.1 101 Switching Protocols");
  CHECK(running.handler.wait_until([&] { return running.handler.opened_.size() == 1; }));
}

TEST_CASE("a charge point connects over ws and its text is echoed", "[websockets]") {
  RunningServer running(plain_config());
  WsTestClient client;
  const auto result = client.connect(running.ws_url(), "CP-1");
  REQUIRE(result.connected);
  CHECK(result.http_status == 101);
  REQUIRE(running.handler.wait_until([&] { return running.handler.opened_.size() == 1; }));
  CHECK(running.handler.session_of("CP-1") != 0);
  CHECK_FALSE(running.handler.last_upgrade().tls);
  CHECK(running.handler.last_upgrade().remote_address == "127.0.0.1");

  REQUIRE(client.send_text(R"([2,"1","Heartbeat",{}])"));
  CHECK(client.receive(5s) == std::optional<std::string>(R"([2,"1","Heartbeat",{}])"));

  client.close();
  CHECK(client.wait_closed(5s) == std::optional<int>(1000));
  CHECK(running.handler.wait_until([&] { return running.handler.closed_.size() == 1; }));
}

TEST_CASE("the charge point id is taken URL-decoded from the path", "[websockets]") {
  RunningServer running(plain_config());
  WsTestClient client;
  REQUIRE(client.connect(running.ws_url(), "CP 1%x").connected);
  CHECK(running.handler.last_upgrade().charge_point_id == "CP 1%x");
  // The client may see the upgrade before the server loop has run on_open.
  REQUIRE(running.handler.wait_until([&] { return running.handler.opened_.size() == 1; }));
  CHECK(running.handler.session_of("CP 1%x") != 0);
}

TEST_CASE("the ocpp1.6 subprotocol is required", "[websockets]") {
  RunningServer running(plain_config());

  SECTION("no subprotocol offered") {
    WsClientOptions options;
    options.subprotocol = std::nullopt;
    WsTestClient client;
    const auto result = client.connect(running.ws_url(), "CP-1", options);
    CHECK_FALSE(result.connected);
    CHECK(result.http_status == 400);
  }
  SECTION("only other subprotocols offered") {
    WsClientOptions options;
    options.subprotocol = "ocpp2.0.1,ocpp1.5";
    WsTestClient client;
    const auto result = client.connect(running.ws_url(), "CP-1", options);
    CHECK_FALSE(result.connected);
    CHECK(result.http_status == 400);
  }
  SECTION("ocpp1.6 among others") {
    WsClientOptions options;
    options.subprotocol = "ocpp2.0.1, ocpp1.6";
    WsTestClient client;
    CHECK(client.connect(running.ws_url(), "CP-1", options).connected);
  }
  CHECK(running.handler.open_count() <= 1);
}

TEST_CASE("upgrades to other paths are answered 404", "[websockets]") {
  RunningServer running(plain_config());
  for (const std::string path : {"/", "/ocpp", "/ocpp/", "/other/CP-1", "/ocpp/CP-1/extra"}) {
    INFO(path);
    WsClientOptions options;
    options.raw_path = path;
    WsTestClient client;
    const auto result = client.connect(running.ws_url(), "", options);
    CHECK_FALSE(result.connected);
    CHECK(result.http_status == 404);
  }
  CHECK(running.handler.upgrade_count() == 0);
}

TEST_CASE("plain HTTP requests are not served", "[websockets]") {
  RunningServer running(plain_config());
  CHECK(plain_http_get(running.server->plain_port(), "/index.html").find(" 404") !=
        std::string::npos);
  CHECK(plain_http_get(running.server->plain_port(), "/ocpp/CP-1").find(" 426") !=
        std::string::npos);
  CHECK(running.handler.upgrade_count() == 0);
}

TEST_CASE("the handler's verdict refuses the upgrade", "[websockets]") {
  RunningServer running(plain_config());

  SECTION("Unauthorized is 401 with a Basic challenge") {
    running.handler.decide = [](const UpgradeRequest&) { return UpgradeVerdict::Unauthorized; };
    WsTestClient client;
    const auto result = client.connect(running.ws_url(), "CP-1");
    CHECK_FALSE(result.connected);
    CHECK(result.http_status == 401);
    CHECK(result.www_authenticate == R"(Basic realm="ChargeLock")");
  }
  SECTION("NotFound is 404") {
    running.handler.decide = [](const UpgradeRequest&) { return UpgradeVerdict::NotFound; };
    WsTestClient client;
    const auto result = client.connect(running.ws_url(), "CP-1");
    CHECK_FALSE(result.connected);
    CHECK(result.http_status == 404);
  }
  CHECK(running.handler.upgrade_count() == 1);
  CHECK(running.handler.open_count() == 0);
}

TEST_CASE("HTTP Basic credentials reach the handler", "[websockets]") {
  RunningServer running(plain_config());

  SECTION("with credentials") {
    WsClientOptions options;
    options.basic_user = "CP-7";
    options.basic_password = "pa:ss w\xc3\xb6rd";
    WsTestClient client;
    REQUIRE(client.connect(running.ws_url(), "CP-7", options).connected);
    const UpgradeRequest request = running.handler.last_upgrade();
    CHECK(request.basic_user == std::optional<std::string>("CP-7"));
    CHECK(request.basic_password == std::optional<std::string>("pa:ss w\xc3\xb6rd"));
    CHECK_FALSE(request.client_cert_cn.has_value());
  }
  SECTION("without credentials") {
    WsTestClient client;
    REQUIRE(client.connect(running.ws_url(), "CP-7").connected);
    CHECK_FALSE(running.handler.last_upgrade().basic_user.has_value());
    CHECK_FALSE(running.handler.last_upgrade().basic_password.has_value());
  }
}

TEST_CASE("wss:// serves TLS with a certificate the client verifies", "[websockets][tls]") {
  TestCertificates certificates;
  RunningServer running(tls_config(certificates, false));
  CHECK(running.server->plain_port() == 0);
  REQUIRE(running.server->tls_port() > 0);

  SECTION("trusted CA, by name and by IP") {
    for (const std::string host : {"localhost", "127.0.0.1"}) {
      INFO(host);
      WsClientOptions options;
      options.ca_file = certificates.ca_file();
      options.basic_user = "CP-2";
      options.basic_password = "secret";
      WsTestClient client;
      REQUIRE(client.connect(running.wss_url(host), "CP-2", options).connected);
      CHECK(running.handler.last_upgrade().tls);
      CHECK(running.handler.last_upgrade().basic_password == std::optional<std::string>("secret"));
      REQUIRE(client.send_text("[]"));
      CHECK(client.receive(5s) == std::optional<std::string>("[]"));
    }
  }
  SECTION("a client that does not trust the server's CA fails the handshake") {
    WsClientOptions options;
    options.ca_file = certificates.untrusted_ca_file();
    WsTestClient client;
    const auto result = client.connect(running.wss_url(), "CP-2", options);
    CHECK_FALSE(result.connected);
    CHECK(result.http_status == 0);
    CHECK(running.handler.upgrade_count() == 0);
  }
  SECTION("plain ws:// to the TLS port fails") {
    WsTestClient client;
    CHECK_FALSE(
        client.connect("ws://127.0.0.1:" + std::to_string(running.server->tls_port()), "CP-2")
            .connected);
    CHECK(running.handler.upgrade_count() == 0);
  }
}

TEST_CASE("a client certificate's CN is delivered only when the CA signed it",
          "[websockets][tls]") {
  TestCertificates certificates;
  RunningServer running(tls_config(certificates, true));
  WsClientOptions options;
  options.ca_file = certificates.ca_file();

  SECTION("signed by the CA") {
    options.cert_file = certificates.client("CP-42").cert;
    options.key_file = certificates.client("CP-42").key;
    WsTestClient client;
    REQUIRE(client.connect(running.wss_url(), "CP-42", options).connected);
    CHECK(running.handler.last_upgrade().client_cert_cn == std::optional<std::string>("CP-42"));
  }
  SECTION("signed by another CA: connected, but no CN") {
    options.cert_file = certificates.untrusted_client("CP-42").cert;
    options.key_file = certificates.untrusted_client("CP-42").key;
    WsTestClient client;
    REQUIRE(client.connect(running.wss_url(), "CP-42", options).connected);
    CHECK_FALSE(running.handler.last_upgrade().client_cert_cn.has_value());
  }
  SECTION("no client certificate (profile 2): connected, no CN") {
    WsTestClient client;
    REQUIRE(client.connect(running.wss_url(), "CP-42", options).connected);
    CHECK_FALSE(running.handler.last_upgrade().client_cert_cn.has_value());
  }
}

TEST_CASE("without a CA file client certificates are ignored", "[websockets][tls]") {
  TestCertificates certificates;
  RunningServer running(tls_config(certificates, false));
  WsClientOptions options;
  options.ca_file = certificates.ca_file();
  options.cert_file = certificates.client("CP-43").cert;
  options.key_file = certificates.client("CP-43").key;
  WsTestClient client;
  REQUIRE(client.connect(running.wss_url(), "CP-43", options).connected);
  CHECK_FALSE(running.handler.last_upgrade().client_cert_cn.has_value());
}

TEST_CASE("text messages are reassembled from fragments and chunks", "[websockets]") {
  RunningServer running(plain_config());
  WsTestClient client;
  REQUIRE(client.connect(running.ws_url(), "CP-1").connected);

  SECTION("several frames") {
    REQUIRE(client.send_text_fragments({"[2,\"7\",", "\"Heartbeat\"", ",{}]"}));
    CHECK(client.receive(5s) == std::optional<std::string>(R"([2,"7","Heartbeat",{}])"));
  }
  SECTION("a message larger than one read, both ways") {
    std::string big(60 * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
    REQUIRE(client.send_text(big));
    CHECK(client.receive(5s) == std::optional<std::string>(big));
  }
  SECTION("many fragments adding up to a large message") {
    std::vector<std::string> parts;
    std::string whole;
    for (int i = 0; i < 40; ++i) {
      parts.push_back(std::string(1000, static_cast<char>('A' + i % 26)));
      whole += parts.back();
    }
    REQUIRE(client.send_text_fragments(parts));
    CHECK(client.receive(5s) == std::optional<std::string>(whole));
  }
  CHECK(running.handler.texts().size() == 1);
}

TEST_CASE("an oversize message closes the connection with 1009", "[websockets]") {
  ServerConfig config = plain_config();
  config.max_frame_bytes = 1000;
  RunningServer running(config);
  WsTestClient client;
  REQUIRE(client.connect(running.ws_url(), "CP-1").connected);

  REQUIRE(client.send_text(std::string(1000, 'a')));  // exactly the limit is fine
  CHECK(client.receive(5s).has_value());

  SECTION("one big frame") { REQUIRE(client.send_text(std::string(1001, 'b'))); }
  SECTION("fragments adding up") {
    REQUIRE(client.send_text_fragments({std::string(600, 'c'), std::string(600, 'c')}));
  }
  CHECK(client.wait_closed(5s) == std::optional<int>(1009));
  CHECK(running.handler.wait_until([&] { return running.handler.closed_.size() == 1; }));
  CHECK(running.handler.texts().size() == 1);
}

TEST_CASE("a binary frame closes the connection with 1003", "[websockets]") {
  RunningServer running(plain_config());
  WsTestClient client;
  REQUIRE(client.connect(running.ws_url(), "CP-1").connected);
  REQUIRE(client.send_binary("\x01\x02\x03"));
  CHECK(client.wait_closed(5s) == std::optional<int>(1003));
  CHECK(running.handler.wait_until([&] { return running.handler.closed_.size() == 1; }));
  CHECK(running.handler.texts().empty());
}

TEST_CASE("a peer that stops answering pings is dropped", "[websockets][keepalive]") {
  ServerConfig config = plain_config();
  config.ping_interval_s = 1;
  config.pong_timeout_s = 1;
  RunningServer running(config);

  WsTestClient healthy;
  WsTestClient silent;
  REQUIRE(healthy.connect(running.ws_url(), "CP-healthy").connected);
  REQUIRE(silent.connect(running.ws_url(), "CP-silent").connected);
  // The client may see the upgrade before the server loop has run on_open.
  REQUIRE(running.handler.wait_until([&] { return running.handler.opened_.size() == 2; }));
  const SessionId silent_session = running.handler.session_of("CP-silent");
  REQUIRE(silent_session != 0);
  silent.set_answer_pings(false);

  const auto start = std::chrono::steady_clock::now();
  REQUIRE(running.handler.wait_until([&] { return !running.handler.closed_.empty(); }, 6s));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 1500ms);  // ping after 1 s, hang up 1 s later
  CHECK(running.handler.closed_.front() == silent_session);

  silent.set_answer_pings(true);  // now it notices the hang-up
  CHECK(silent.wait_closed(5s).has_value());

  // The peer that answers pings is still there well past the timeout: it
  // is pinged again after the hang-up, which the sweep does only once its
  // PONG has counted (a PING left unanswered is followed by a hang-up).
  // (WsTestClient cannot count PINGs: lws 4.1 answers them inside the
  // client without a callback.)
  const std::uint64_t pings_at_hang_up = running.server->pings_sent();
  CHECK(eventually([&] { return running.server->pings_sent() > pings_at_hang_up; }, 6s));
  CHECK(running.handler.close_count() == 1);
  REQUIRE(healthy.send_text("still here"));
  CHECK(healthy.receive(5s) == std::optional<std::string>("still here"));
}

TEST_CASE("send() and close() work from other threads", "[websockets]") {
  RunningServer running(plain_config());
  running.handler.echo = false;
  WsTestClient client;
  REQUIRE(client.connect(running.ws_url(), "CP-1").connected);
  REQUIRE(running.handler.wait_until([&] { return running.handler.opened_.size() == 1; }));
  const SessionId session = running.handler.session_of("CP-1");

  std::thread sender([&] {
    for (int i = 0; i < 200; ++i) running.server->send(session, "message " + std::to_string(i));
    running.server->close(session);
  });
  sender.join();
  for (int i = 0; i < 200; ++i) {
    const auto received = client.receive(5s);
    REQUIRE(received == std::optional<std::string>("message " + std::to_string(i)));
  }
  CHECK(client.wait_closed(5s) == std::optional<int>(1000));
  CHECK(running.handler.wait_until([&] { return running.handler.closed_.size() == 1; }));

  // Sending to a closed session is dropped quietly.
  running.server->send(session, "too late");
  running.server->close(session);
}

TEST_CASE("post() and schedule() run tasks on the loop", "[websockets]") {
  RunningServer running(plain_config());
  const std::thread::id loop_thread = running.loop.get_id();

  std::mutex mutex;
  std::condition_variable done;
  std::vector<std::string> order;
  bool on_loop = true;
  const auto record = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    on_loop = on_loop && std::this_thread::get_id() == loop_thread;
    order.push_back(what);
    done.notify_all();
  };

  const auto start = std::chrono::steady_clock::now();
  running.server->schedule(300ms, [&] { record("late"); });
  running.server->schedule(100ms, [&] { record("early"); });
  running.server->post([&] { record("posted"); });

  std::unique_lock<std::mutex> lock(mutex);
  REQUIRE(done.wait_for(lock, 5s, [&] { return order.size() == 3; }));
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  CHECK(order == std::vector<std::string>{"posted", "early", "late"});
  CHECK(on_loop);
}

// Under a flood the loop has thousands of piles' answers queued; the answer
// to a pile's VehicleLocked (what an owner waits on) is posted urgent and
// must not wait behind them.
TEST_CASE("an urgent task runs ahead of the tasks queued before it", "[websockets][urgent]") {
  RunningServer running(plain_config());
  std::mutex mutex;
  std::condition_variable changed;
  bool release = false;
  bool holding = false;
  std::vector<std::string> order;  // loop thread only while it runs
  // The loop is held in a task, so what follows queues up behind it.
  running.server->post([&] {
    std::unique_lock<std::mutex> lock(mutex);
    holding = true;
    changed.notify_all();
    changed.wait_for(lock, 10s, [&] { return release; });
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(changed.wait_for(lock, 5s, [&] { return holding; }));
  }
  constexpr int kBulk = 2000;
  for (int i = 0; i < kBulk; ++i) running.server->post([&] { order.push_back("bulk"); });
  running.server->post_urgent([&] { order.push_back("urgent"); });
  std::atomic<bool> all_done{false};
  running.server->post([&] { all_done = true; });
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  changed.notify_all();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!all_done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  REQUIRE(all_done);
  REQUIRE(order.size() == kBulk + 1);
  const auto urgent_at = std::find(order.begin(), order.end(), "urgent") - order.begin();
  INFO("the urgent task ran after " << urgent_at << " of " << kBulk << " bulk tasks");
  // It ran at the loop's first look after it was posted: before the bulk
  // tasks, or after the first one (the inbox was being drained).
  CHECK(urgent_at <= 1);
}

// The frame is written while the loop is still in the task that sent it,
// not at the socket's writable callback a pass later; a frame queued before
// it for the same pile keeps it behind (per-pile order).
TEST_CASE("an urgent frame goes out at once unless the pile has frames queued before it",
          "[websockets][urgent]") {
  RunningServer running(plain_config());
  running.handler.echo = false;
  WsTestClient urgent_pile;
  WsTestClient bulk_pile;
  REQUIRE(urgent_pile.connect(running.ws_url(), "CP-URGENT").connected);
  REQUIRE(bulk_pile.connect(running.ws_url(), "CP-BULK").connected);
  REQUIRE(running.handler.wait_until([&] { return running.handler.opened_.size() == 2; }));
  const SessionId urgent_session = running.handler.session_of("CP-URGENT");
  const SessionId bulk_session = running.handler.session_of("CP-BULK");

  std::mutex mutex;
  std::condition_variable changed;
  bool release = false;
  // Sends, then holds the loop until the test has looked at what arrived.
  const auto send_and_hold = [&](std::function<void()> sends) {
    running.server->post([&, sends] {
      sends();
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait_for(lock, 10s, [&] { return release; });
    });
  };
  const auto release_loop = [&] {
    {
      std::lock_guard<std::mutex> lock(mutex);
      release = true;
    }
    changed.notify_all();
  };

  SECTION("urgent: on the wire while the loop is still busy; bulk: at its writable callback") {
    send_and_hold([&] {
      running.server->send(bulk_session, "bulk answer");
      running.server->send_urgent(urgent_session, "urgent answer");
    });
    CHECK(urgent_pile.receive(5s) == std::optional<std::string>("urgent answer"));
    CHECK_FALSE(bulk_pile.receive(300ms).has_value());
    release_loop();
    CHECK(bulk_pile.receive(5s) == std::optional<std::string>("bulk answer"));
  }
  SECTION("a frame queued before it for the same pile goes first") {
    send_and_hold([&] {
      running.server->send(urgent_session, "queued first");
      running.server->send_urgent(urgent_session, "urgent answer");
    });
    CHECK_FALSE(urgent_pile.receive(300ms).has_value());
    release_loop();
    CHECK(urgent_pile.receive(5s) == std::optional<std::string>("queued first"));
    CHECK(urgent_pile.receive(5s) == std::optional<std::string>("urgent answer"));
  }
  SECTION("from another thread it is delivered like send()") {
    release_loop();
    running.server->send_urgent(urgent_session, "urgent answer");
    CHECK(urgent_pile.receive(5s) == std::optional<std::string>("urgent answer"));
  }
}

TEST_CASE("a thousand charge points are served at once", "[websockets][load]") {
  RunningServer running(plain_config());  // raises the soft fd limit
  // Both ends of every connection live in this process.
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  const int kClients = static_cast<int>(std::min<rlim_t>(1000, (limit.rlim_cur - 64) / 2));
  INFO("clients: " << kClients);
  auto loop = std::make_shared<WsClientLoop>(kClients);
  std::vector<std::unique_ptr<WsTestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<WsTestClient>(loop));
    REQUIRE(clients.back()->connect(running.ws_url(), "CP-" + std::to_string(i)).connected);
  }
  REQUIRE(running.handler.wait_until(
      [&] { return running.handler.opened_.size() == static_cast<std::size_t>(kClients); }));
  for (int i = 0; i < kClients; ++i) REQUIRE(clients[i]->send_text("hello " + std::to_string(i)));
  for (int i = 0; i < kClients; ++i) {
    REQUIRE(clients[i]->receive(10s) == std::optional<std::string>("hello " + std::to_string(i)));
  }
  for (auto& client : clients) client->close();
  for (auto& client : clients) CHECK(client->wait_closed(10s).has_value());
  CHECK(running.handler.wait_until(
      [&] { return running.handler.closed_.size() == static_cast<std::size_t>(kClients); }, 10s));
}

TEST_CASE("stop() makes run() return promptly", "[websockets]") {
  EchoHandler handler;
  OcppServer server(plain_config(), handler);
  handler.server = &server;

  SECTION("while running with a connection") {
    std::atomic<bool> returned{false};
    std::thread loop([&] {
      server.run();
      returned = true;
    });
    WsTestClient client;
    REQUIRE(
        client.connect("ws://127.0.0.1:" + std::to_string(server.plain_port()), "CP-1").connected);
    const auto start = std::chrono::steady_clock::now();
    server.stop();
    loop.join();
    CHECK(returned);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
  }
  SECTION("stop() before run()") {
    server.stop();
    const auto start = std::chrono::steady_clock::now();
    server.run();
    CHECK(std::chrono::steady_clock::now() - start < 1s);
  }
}

TEST_CASE("listeners that cannot start throw from the constructor", "[websockets]") {
  EchoHandler handler;

  SECTION("port in use") {
    RunningServer running(plain_config());
    ServerConfig config = plain_config();
    config.plain->port = running.server->plain_port();
    CHECK_THROWS_AS(OcppServer(config, handler), std::runtime_error);
  }
  SECTION("missing certificate file") {
    TestCertificates certificates;
    ServerConfig config = tls_config(certificates, true);
    config.tls->cert_file = certificates.directory() + "/missing.crt";
    CHECK_THROWS_WITH(OcppServer(config, handler), Catch::Contains("missing.crt"));
  }
  SECTION("key that does not match the certificate") {
    TestCertificates certificates;
    ServerConfig config = tls_config(certificates, false);
    config.tls->key_file = certificates.client("CP-1").key;
    CHECK_THROWS_AS(OcppServer(config, handler), std::runtime_error);
  }
  SECTION("unreadable CA file") {
    TestCertificates certificates;
    ServerConfig config = tls_config(certificates, true);
    config.tls->ca_file = certificates.directory() + "/nope.pem";
    CHECK_THROWS_AS(OcppServer(config, handler), std::runtime_error);
  }
  SECTION("no listener at all") {
    CHECK_THROWS_AS(OcppServer(ServerConfig{}, handler), std::runtime_error);
  }
}

TEST_CASE("both listeners run side by side", "[websockets][tls]") {
  TestCertificates certificates;
  ServerConfig config = tls_config(certificates, true);
  config.plain = loopback();
  RunningServer running(config);
  REQUIRE(running.server->plain_port() > 0);
  REQUIRE(running.server->tls_port() > 0);
  CHECK(running.server->plain_port() != running.server->tls_port());

  WsTestClient plain;
  REQUIRE(plain.connect(running.ws_url(), "CP-plain").connected);
  CHECK_FALSE(running.handler.last_upgrade().tls);

  WsClientOptions options;
  options.ca_file = certificates.ca_file();
  options.cert_file = certificates.client("CP-tls").cert;
  options.key_file = certificates.client("CP-tls").key;
  WsTestClient secure;
  REQUIRE(secure.connect(running.wss_url(), "CP-tls", options).connected);
  CHECK(running.handler.last_upgrade().tls);
  CHECK(running.handler.last_upgrade().client_cert_cn == std::optional<std::string>("CP-tls"));
}

TEST_CASE("text that is not UTF-8 closes the connection with 1007", "[websockets]") {
  RunningServer running(plain_config());
  WsTestClient client;
  REQUIRE(client.connect(running.ws_url(), "CP-1").connected);
  REQUIRE(client.send_text("[2,\"1\",\"Heartbeat\",{\"x\":\"\xc3\x28\"}]"));
  CHECK(client.wait_closed(5s) == std::optional<int>(1007));
  CHECK(running.handler.texts().empty());
}
