// Notifications to vehicle owners (SPEC §5): low-battery prompts, vehicle
// caught, lock state changes. The id is the paging cursor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/notification.h"
#include "core/timestamp.h"

namespace chargelock::core {

class NotificationStore {
 public:
  virtual ~NotificationStore() = default;
  // Returns the stored notification (id and time set). When the owner has a
  // webhook, its delivery is queued in the same transaction (see
  // webhook_store.h). Throws NotFoundError for an unknown owner.
  virtual Notification add(std::int64_t owner_id, const std::string& kind,
                           const std::string& body_json) = 0;
  // The owner's notifications with an id above `after_id`, oldest first, at
  // most `limit`.
  virtual std::vector<Notification> list(std::int64_t owner_id, std::int64_t after_id,
                                         int limit) = 0;
};

}  // namespace chargelock::core
