// Owners' webhooks and the deliveries of their outbox (migration 0005).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/notification.h"
#include "core/timestamp.h"

namespace chargelock::core {

struct WebhookRecord {
  std::int64_t owner_id = 0;
  std::string url;
  std::string secret;
  Timestamp created_at;
  Timestamp updated_at;
};

// A delivery as the outbox holds it.
struct WebhookDeliveryRecord {
  std::int64_t id = 0;
  std::int64_t notification_id = 0;
  std::int64_t owner_id = 0;
  std::string status;  // "pending", "delivered", "failed"
  int attempts = 0;    // made so far (a claim counts as one)
  Timestamp next_attempt_at;
  std::optional<int> last_status;
  std::optional<std::string> last_error;
  Timestamp created_at;
  std::optional<Timestamp> delivered_at;
};

// A claimed delivery with what sending it needs.
struct ClaimedWebhookDelivery {
  WebhookDeliveryRecord delivery;  // attempts already counts this attempt
  Notification notification;
  std::string url;
  std::string secret;
};

}  // namespace chargelock::core
