// The HTTP(S) client behind owners' webhooks: core::WebhookTransport over
// base::HttpClient (libcurl).
//
// One request per connection (Connection: close), so there is no pooling
// to get wrong; webhook volume is per owner and small. Redirects are not
// followed (a 3xx is a failed attempt, like any non-2xx). https verifies the
// server certificate against the system's CAs (or a configured CA file) and
// the URL's host name or address; TLS 1.2 at least. Only the status is
// read; the body of the answer is not.
//
// Destinations: unless allow_private is set, an address that is not public
// (core/network_address.h: loopback, private, link-local, unspecified) is
// never connected to. The check runs on each address right before a socket
// is opened for it (libcurl's open-socket callback), so a name whose DNS
// answer changed after the webhook was registered (DNS rebinding) is caught
// here; the attempt fails with an error naming the address.
//
// Timeouts: connect_timeout per connection, and `timeout` for the whole
// request (resolving, connecting, TLS handshake, sending, reading the head).
//
// Threading: post() from one thread at a time (the dispatcher's); cancel()
// from any thread.
#pragma once

#include <chrono>
#include <string>

#include "base/http_client.h"
#include "core/notification_service.h"
#include "core/webhook_service.h"

namespace chargelock::api {

struct WebhookHttpClientConfig {
  std::string ca_file;  // PEM; empty: the system's default CAs
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(15)};
  bool allow_private = false;  // may connect to non-public addresses (--webhook-allow-private)
};

class WebhookHttpClient final : public core::WebhookTransport {
 public:
  // Throws std::runtime_error when the CA file cannot be read.
  explicit WebhookHttpClient(WebhookHttpClientConfig config = {});

  core::WebhookAnswer post(const core::WebhookPost& request) override;
  void cancel() override { http_.cancel(); }

 private:
  base::HttpClient http_;
};

// The body a webhook carries for a notification: the same JSON object as an
// item of GET /notifications ({"id","kind","createdAt","body"}).
std::string webhook_body(const core::Notification& notification);

}  // namespace chargelock::api
