#include "api/webhook_http_client.h"

#include <stdexcept>

#include "api/json_util.h"
#include "api/notification_streams.h"
#include "core/network_address.h"

namespace chargelock::api {

namespace {

base::HttpClientOptions http_options(const WebhookHttpClientConfig& config) {
  base::HttpClientOptions options;
  options.ca_file = config.ca_file;
  options.connect_timeout = config.connect_timeout;
  options.timeout = config.timeout;
  options.keep_alive = false;
  options.read_body = false;
  options.user_agent = "ChargeLock-Webhook/1";
  if (!config.allow_private) {
    // The address about to be connected to, not the one seen when the
    // webhook was registered.
    options.check_address = [](const sockaddr& address) -> std::optional<std::string> {
      const auto kind = core::classify_address(address);
      if (core::is_public(kind)) return std::nullopt;
      return "refused: resolves to " + core::address_text(address) + ", a " +
             core::to_string(kind) + " address (allowed only with --webhook-allow-private)";
    };
  }
  return options;
}

}  // namespace

WebhookHttpClient::WebhookHttpClient(WebhookHttpClientConfig config)
    : http_(http_options(config)) {}

core::WebhookAnswer WebhookHttpClient::post(const core::WebhookPost& request) {
  core::WebhookAnswer answer;
  try {
    core::parse_webhook_url(request.url);  // the webhook rules (http/https, length)
  } catch (const std::invalid_argument& error) {
    answer.error = error.what();
    return answer;
  }
  base::HttpRequest http;
  http.method = "POST";
  http.url = request.url;
  http.body = request.body;
  for (const auto& [name, value] : request.headers) http.headers.emplace_back(name, value);
  base::HttpResponse response = http_.send(http);
  answer.status = response.status;
  answer.error = std::move(response.error);
  return answer;
}

std::string webhook_body(const core::Notification& notification) {
  JsonOut out;
  write_notification(out, notification);
  return out.str();
}

}  // namespace chargelock::api
