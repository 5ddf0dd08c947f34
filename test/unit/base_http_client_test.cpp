// base/http_client.h against a loopback receiver: what it sends, what it
// reads, the address check that runs before connecting, and the URLs it
// refuses. (Timeouts, cancel() and TLS verification: api_webhook_client_test;
// keep-alive and streams: the API's integration tests.)
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "base/http_client.h"
#include "test/support/webhook_receiver.h"

using namespace chargelock;
using namespace std::chrono_literals;

TEST_CASE("http client: sends method, headers and body, reads status, headers and body") {
  signal(SIGPIPE, SIG_IGN);
  test::WebhookReceiver receiver;
  receiver.script({201});
  base::HttpClient client;

  base::HttpRequest post;
  post.method = "POST";
  post.url = receiver.url("/in?x=1");
  post.headers = {{"Content-Type", "application/json"}, {"X-Extra", "yes"}};
  post.body = R"({"a":1})";
  const base::HttpResponse created = client.send(post);
  INFO(created.error);
  CHECK(created.status == 201);
  CHECK(created.error.empty());
  CHECK(created.body == "ok");
  CHECK(created.header("content-length") == "2");

  base::HttpRequest put;
  put.method = "PUT";
  put.url = receiver.url("/empty");
  CHECK(client.send(put).status == 200);

  REQUIRE(receiver.wait_for(2, 2s));
  const auto requests = receiver.requests();
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].target == "/in?x=1");
  CHECK(requests[0].body == R"({"a":1})");
  CHECK(requests[0].header("content-type") == "application/json");
  CHECK(requests[0].header("x-extra") == "yes");
  CHECK(requests[0].header("host") == "127.0.0.1:" + std::to_string(receiver.port()));
  CHECK(requests[0].header("expect").empty());  // no 100-continue round trip
  CHECK(requests[1].method == "PUT");
  CHECK(requests[1].header("content-length") == "0");
  CHECK(requests[1].header("content-type").empty());  // none unless asked for
}

TEST_CASE("http client: check_address sees the address before a socket is opened") {
  signal(SIGPIPE, SIG_IGN);
  test::WebhookReceiver receiver;
  base::HttpClientOptions options;
  std::string seen;
  options.check_address = [&seen](const sockaddr& address) -> std::optional<std::string> {
    if (address.sa_family == AF_INET) {
      const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
      seen = std::to_string(ntohl(v4.sin_addr.s_addr) >> 24);  // first octet
    }
    return std::string("refused: not on the list");
  };
  base::HttpClient guarded(options);
  base::HttpRequest request;
  request.url = receiver.url();
  const auto answer = guarded.send(request);
  CHECK_FALSE(answer.status);
  CHECK(answer.error == "cannot connect to 127.0.0.1:" + std::to_string(receiver.port()) +
                            ": refused: not on the list");
  CHECK(seen == "127");
  CHECK_FALSE(receiver.wait_for(1, 300ms));  // nothing reached it
}

TEST_CASE("http client: the environment's proxy is never used") {
  signal(SIGPIPE, SIG_IGN);
  // A proxy would make the address check see the proxy, not the
  // destination.
  test::WebhookReceiver receiver;
  ::setenv("http_proxy", "http://127.0.0.1:1", 1);
  ::setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
  base::HttpClient client;
  base::HttpRequest request;
  request.url = receiver.url();
  const auto answer = client.send(request);
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");
  INFO(answer.error);
  CHECK(answer.status == 200);
}

TEST_CASE("http client: only http and https URLs, a reason for the others") {
  base::HttpClient client;
  for (const char* url :
       {"ws://127.0.0.1/", "gopher://x/", "http://", "file:///etc/passwd", "http://a b/"}) {
    INFO(url);
    base::HttpRequest request;
    request.url = url;
    const auto answer = client.send(request);
    CHECK_FALSE(answer.status);
    CHECK(answer.error.rfind("url: ", 0) == 0);
  }
}

TEST_CASE("http client: read_body off answers with the head alone") {
  signal(SIGPIPE, SIG_IGN);
  test::WebhookReceiver receiver;
  receiver.script({204});
  base::HttpClientOptions options;
  options.read_body = false;
  options.keep_alive = false;
  base::HttpClient client(options);
  base::HttpRequest request;
  request.method = "POST";
  request.url = receiver.url();
  request.body = "x";
  const auto answer = client.send(request);
  CHECK(answer.status == 204);
  CHECK(answer.body.empty());
  REQUIRE(receiver.wait_for(1, 2s));
  CHECK(receiver.requests()[0].header("connection") == "close");
}

TEST_CASE("http client: an unreadable CA file is an error at construction") {
  base::HttpClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(base::HttpClient(options), std::runtime_error);
}
