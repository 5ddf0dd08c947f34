// Webhook endpoints (SPEC §5, issue 4): PUT/GET/DELETE /webhook and GET
// /webhook/deliveries, for an owner's own notifications or, with the
// operator role, the operators' inbox (catches and sightings). Delivery itself is
// core::WebhookDispatcher; see core/webhook_service.h.
#include "api/api_error.h"
#include "api/json_util.h"
#include "api/router.h"
#include "api/webhook_destination.h"
#include "core/webhook_service.h"

namespace chargelock::api {

namespace {

// Never the secret.
void write_webhook(JsonOut& out, const core::Webhook& webhook) {
  out.field("url", webhook.url)
      .field("createdAt", webhook.created_at)
      .field("updatedAt", webhook.updated_at);
}

HttpResponse put_webhook(ApiContext& context, const RouteRequest& request) {
  const std::int64_t owner = inbox_of(request);
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"url", "secret", nullptr};
  reject_unknown_fields(body, allowed);
  const std::string url = required_string(body, "url");
  const auto secret = string_field(body, "secret");
  if (!context.webhook_allow_private) check_webhook_destination(core::parse_webhook_url(url));
  const auto set = context.central.webhooks().set(owner, url, secret);
  JsonOut out;
  out.begin_object();
  write_webhook(out, set.webhook);
  // Only a secret the server chose is shown, and only now.
  if (set.generated_secret) out.field("secret", *set.generated_secret);
  out.end_object();
  return json_response(200, out.str());
}

HttpResponse get_webhook(ApiContext& context, const RouteRequest& request) {
  const auto webhook = context.central.webhooks().get(inbox_of(request));
  if (!webhook) throw not_found("no webhook is set");
  JsonOut out;
  out.begin_object();
  write_webhook(out, *webhook);
  out.end_object();
  return json_response(200, out.str());
}

HttpResponse delete_webhook(ApiContext& context, const RouteRequest& request) {
  if (!context.central.webhooks().remove(inbox_of(request))) throw not_found("no webhook is set");
  return json_response(204, "");
}

HttpResponse list_deliveries(ApiContext& context, const RouteRequest& request) {
  const int limit = limit_param(request);
  JsonOut out;
  out.begin_object().begin_array("deliveries");
  for (const auto& d : context.central.webhooks().deliveries(inbox_of(request), limit)) {
    out.begin_object()
        .field("id", d.id)
        .field("notificationId", d.notification_id)
        .field("status", d.status)
        .field("attempts", d.attempts)
        .field("createdAt", d.created_at);
    if (d.status == "pending") out.field("nextAttemptAt", d.next_attempt_at);
    out.optional("lastStatus", d.last_status)
        .optional("lastError", d.last_error)
        .optional("deliveredAt", d.delivered_at)
        .end_object();
  }
  out.end_array().end_object();
  return json_response(200, out.str());
}

}  // namespace

std::vector<Route> webhook_routes() {
  return {
      {"PUT", "/webhook", kOwner | kOperator, put_webhook},
      {"GET", "/webhook", kOwner | kOperator, get_webhook},
      {"DELETE", "/webhook", kOwner | kOperator, delete_webhook},
      {"GET", "/webhook/deliveries", kOwner | kOperator, list_deliveries},
  };
}

}  // namespace chargelock::api
