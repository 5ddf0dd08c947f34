// Owners' webhooks and their delivery outbox (migration 0005). The outbox
// rows themselves are written by NotificationStore::add, in the
// notification's transaction, for owners who have a webhook.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/stores/notification_store.h"
#include "core/timestamp.h"
#include "core/webhook.h"

namespace chargelock::core {

class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  // Creates or replaces the owner's webhook. Throws NotFoundError for an
  // unknown owner.
  virtual WebhookRecord put(std::int64_t owner_id, const std::string& url,
                            const std::string& secret) = 0;
  virtual std::optional<WebhookRecord> find(std::int64_t owner_id) = 0;
  // Removes the webhook and its deliveries. False when there was none.
  virtual bool remove(std::int64_t owner_id) = 0;

  // Takes up to `limit` pending deliveries that are due (FOR UPDATE SKIP
  // LOCKED: concurrent claimers, in this or other processes, never get the
  // same row), counts an attempt on each and moves its next attempt `lease`
  // ahead, so that a claimer that dies leaves it due again later. `now` is
  // the claimer's time (due: next attempt at or before it), the same clock
  // mark_retry()'s next attempt was computed on.
  virtual std::vector<ClaimedWebhookDelivery> claim_due(int limit, Timestamp now,
                                                        std::chrono::milliseconds lease) = 0;
  // Outcome of an attempt (only while the delivery is pending).
  virtual void mark_delivered(std::int64_t id, int http_status) = 0;
  virtual void mark_retry(std::int64_t id, std::optional<int> http_status, const std::string& error,
                          Timestamp next_attempt_at) = 0;
  virtual void mark_failed(std::int64_t id, std::optional<int> http_status,
                           const std::string& error) = 0;

  // The owner's deliveries, newest first, at most `limit`.
  virtual std::vector<WebhookDeliveryRecord> deliveries(std::int64_t owner_id, int limit) = 0;
};

}  // namespace chargelock::core
