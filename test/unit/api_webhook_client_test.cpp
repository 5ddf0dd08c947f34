// api::WebhookHttpClient against loopback receivers: the request it writes,
// the status it reports, refused connections, timeouts, cancel(), and https
// with certificate verification (test PKI).
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "api/webhook_http_client.h"
#include "test/support/eventually.h"
#include "test/support/test_certificates.h"
#include "test/support/webhook_receiver.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

core::WebhookPost post_to(const std::string& url, const std::string& body = R"({"x":1})") {
  core::WebhookPost post;
  post.url = url;
  post.body = body;
  post.headers = {{"Content-Type", "application/json"}, {"X-ChargeLock-Event", "lock_state"}};
  return post;
}

// Accepts connections (the kernel does) but never answers.
struct SilentServer {
  int fd = -1;
  int port = 0;
  SilentServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t size = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
    port = ntohs(a.sin_port);
  }
  ~SilentServer() { ::close(fd); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/"; }
  // A client has connected (the kernel completed its handshake).
  bool client_connected() const {
    pollfd pending{fd, POLLIN, 0};
    return ::poll(&pending, 1, 0) == 1;
  }
};

// The receivers here listen on loopback, which only an operator's
// --webhook-allow-private lets the client reach.
api::WebhookHttpClientConfig loopback_allowed() {
  api::WebhookHttpClientConfig config;
  config.allow_private = true;
  return config;
}

}  // namespace

TEST_CASE("webhook client: POSTs the body and headers, reports the status") {
  signal(SIGPIPE, SIG_IGN);  // as the chargelock program does
  WebhookReceiver receiver;
  receiver.script({503});
  api::WebhookHttpClient client(loopback_allowed());

  const auto first = client.post(post_to(receiver.url("/a/b?c=d"), R"({"hello":"world"})"));
  CHECK(first.status == 503);
  const auto second = client.post(post_to(receiver.url()));
  CHECK(second.status == 200);
  CHECK(second.error.empty());

  REQUIRE(receiver.wait_for(2, 2s));
  const auto r = receiver.requests()[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/a/b?c=d");
  CHECK(r.body == R"({"hello":"world"})");
  CHECK(r.header("host") == "127.0.0.1:" + std::to_string(receiver.port()));
  CHECK(r.header("content-length") == "17");
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("x-chargelock-event") == "lock_state");
  CHECK(r.header("connection") == "close");
}

TEST_CASE("webhook client: refused, timed out, cancelled, bad URL: no status, a reason") {
  signal(SIGPIPE, SIG_IGN);
  SECTION("refused") {
    WebhookReceiver down(false);
    api::WebhookHttpClient client(loopback_allowed());
    const auto answer = client.post(post_to(down.url()));
    CHECK_FALSE(answer.status);
    CHECK(answer.error.find("cannot connect") != std::string::npos);
  }
  SECTION("no answer within the timeout") {
    SilentServer silent;
    api::WebhookHttpClientConfig config = loopback_allowed();
    config.timeout = 300ms;
    api::WebhookHttpClient client(config);
    const auto start = std::chrono::steady_clock::now();
    const auto answer = client.post(post_to(silent.url()));
    CHECK_FALSE(answer.status);
    CHECK(answer.error.find("timed out") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
  }
  SECTION("cancel() ends a request in flight quickly") {
    SilentServer silent;
    api::WebhookHttpClient client(loopback_allowed());  // 15 s timeout
    std::thread canceller([&client, &silent] {
      // In flight: connected, waiting for an answer that never comes.
      eventually([&silent] { return silent.client_connected(); }, 5s);
      client.cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    const auto answer = client.post(post_to(silent.url()));
    canceller.join();
    CHECK_FALSE(answer.status);
    CHECK(answer.error.find("cancelled") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
  }
  SECTION("bad URL") {
    api::WebhookHttpClient client(loopback_allowed());
    const auto answer = client.post(post_to("gopher://x/"));
    CHECK_FALSE(answer.status);
    CHECK(answer.error.find("url") != std::string::npos);
  }
}

TEST_CASE("webhook client: https verifies the certificate against the configured CA") {
  signal(SIGPIPE, SIG_IGN);
  TestCertificates pki;
  WebhookReceiver receiver(true, &pki.server());
  const std::string port = std::to_string(receiver.port());

  api::WebhookHttpClientConfig trusting = loopback_allowed();
  trusting.ca_file = pki.ca_file();
  api::WebhookHttpClient client(trusting);
  CHECK(client.post(post_to("https://127.0.0.1:" + port + "/tls")).status == 200);
  CHECK(client.post(post_to("https://localhost:" + port + "/tls")).status == 200);
  REQUIRE(receiver.wait_for(2, 2s));
  CHECK(receiver.requests()[0].target == "/tls");

  // Another CA, or the system's CAs: the test certificate is not accepted.
  api::WebhookHttpClientConfig other = loopback_allowed();
  other.ca_file = pki.untrusted_ca_file();
  const auto refused = api::WebhookHttpClient(other).post(post_to(receiver.url()));
  CHECK_FALSE(refused.status);
  CHECK(refused.error.find("certificate") != std::string::npos);
  const auto system = api::WebhookHttpClient(loopback_allowed()).post(post_to(receiver.url()));
  CHECK_FALSE(system.status);
  CHECK(receiver.requests().size() == 2);

  CHECK_THROWS(api::WebhookHttpClient([] {
    api::WebhookHttpClientConfig missing;
    missing.ca_file = "/nonexistent/ca.pem";
    return missing;
  }()));
}

TEST_CASE("webhook client: non-public addresses are refused at connect time unless allowed") {
  signal(SIGPIPE, SIG_IGN);
  WebhookReceiver receiver;
  const std::string port = std::to_string(receiver.port());
  api::WebhookHttpClient guarded;  // the default: public addresses only
  // The check is on the address about to be connected to: a name (whose
  // DNS answer may have changed since registration) is caught as well as a
  // literal address, in every IPv6 spelling of it.
  for (const std::string& url :
       {receiver.url(), "http://localhost:" + port + "/hook",
        "http://[::ffff:127.0.0.1]:" + port + "/hook", "http://0.0.0.0:" + port + "/hook",
        "http://[::1]:" + port + "/hook"}) {
    const auto answer = guarded.post(post_to(url));
    INFO(url << " -> " << answer.error);
    CHECK_FALSE(answer.status);
    CHECK(answer.error.find("refused") != std::string::npos);
    CHECK(answer.error.find("--webhook-allow-private") != std::string::npos);
  }
  CHECK(guarded.post(post_to(receiver.url())).error.find("a loopback address") !=
        std::string::npos);
  CHECK(guarded.post(post_to("http://169.254.169.254/latest/meta-data/"))
            .error.find("169.254.169.254, a link-local address") != std::string::npos);
  CHECK(guarded.post(post_to("http://10.0.0.1/")).error.find("a private address") !=
        std::string::npos);
  // Nothing reached the receiver; the operator's permission lets it through.
  CHECK(receiver.requests().empty());
  CHECK(api::WebhookHttpClient(loopback_allowed()).post(post_to(receiver.url())).status == 200);
  CHECK(receiver.wait_for(1, 2s));
}
