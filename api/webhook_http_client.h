// The HTTP(S) client behind owners' webhooks: core::WebhookTransport over
// plain POSIX sockets, and OpenSSL for https.
//
// One request per connection (Connection: close), so there is no pooling
// to get wrong; webhook volume is per owner and small. Redirects are not
// followed (a 3xx is a failed attempt, like any non-2xx). https verifies the
// server certificate against the system's CAs (or a configured CA file) and
// the URL's host name or address; TLS 1.2 at least.
//
// Why not the libwebsockets client: its client connections run on an lws
// service loop with callbacks and per-context TLS settings, while the
// delivery loop is one blocking worker thread; a blocking client with
// deadlines is shorter and easier to reason about here.
//
// Destinations: unless allow_private is set, an address that is not public
// (core/network_address.h: loopback, private, link-local, unspecified) is
// never connected to. The check runs on each address getaddrinfo returns,
// right before connecting to it, so a name whose DNS answer changed after
// the webhook was registered (DNS rebinding) is caught here; the attempt
// fails with an error naming the address.
//
// Timeouts: connect_timeout per address tried, and `timeout` for the whole
// request (connect, TLS handshake, sending, reading the status). Name
// resolution is the system's getaddrinfo and is not bounded by them.
//
// Threading: post() from one thread at a time (the dispatcher's); cancel()
// from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>

#include "core/notification_service.h"
#include "core/webhook_service.h"

struct ssl_ctx_st;

namespace chargelock::api {

struct WebhookHttpClientConfig {
  std::string ca_file;  // PEM; empty: the system's default CAs
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(15)};
  std::size_t max_response_head = 16 * 1024;  // bytes of status line + headers read
  bool allow_private = false;  // may connect to non-public addresses (--webhook-allow-private)
};

class WebhookHttpClient final : public core::WebhookTransport {
 public:
  // Throws std::runtime_error when the TLS context or the CA file cannot
  // be loaded.
  explicit WebhookHttpClient(WebhookHttpClientConfig config = {});
  ~WebhookHttpClient() override;
  WebhookHttpClient(const WebhookHttpClient&) = delete;
  WebhookHttpClient& operator=(const WebhookHttpClient&) = delete;

  core::WebhookAnswer post(const core::WebhookPost& request) override;
  void cancel() override { cancelled_ = true; }

 private:
  WebhookHttpClientConfig config_;
  ssl_ctx_st* tls_ = nullptr;
  std::atomic<bool> cancelled_{false};
};

// The body a webhook carries for a notification: the same JSON object as an
// item of GET /notifications ({"id","kind","createdAt","body"}).
std::string webhook_body(const core::Notification& notification);

}  // namespace chargelock::api
