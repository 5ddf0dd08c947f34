// Notifications to vehicle owners (SPEC §5): low-battery prompts, vehicle
// caught, lock state changes. The id is the paging cursor.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/notification.h"
#include "core/timestamp.h"

namespace chargelock::core {

// A notification another process stored, as its signal names it.
struct NotificationSignal {
  std::int64_t owner_id = 0;
  std::int64_t id = 0;
};

// The signals of notifications other processes store (PostgreSQL: LISTEN on
// a connection of its own). Used by one thread.
class NotificationSignals {
 public:
  virtual ~NotificationSignals() = default;
  // Waits up to `timeout`; returns the signals that came meanwhile, oldest
  // first (maybe none). A broken connection is opened again by a later
  // call; signals sent while it was away are lost (the streams' catch-up
  // poll and the webhook dispatcher's poll still find their notifications).
  virtual std::vector<NotificationSignal> wait(std::chrono::milliseconds timeout) = 0;
};

class NotificationStore {
 public:
  virtual ~NotificationStore() = default;
  // Returns the stored notification (id and time set). When the owner has a
  // webhook, its delivery is queued in the same transaction (see
  // webhook_store.h); once committed, the notification is signalled to the
  // other processes' listen()ers. Throws NotFoundError for an unknown owner.
  virtual Notification add(std::int64_t owner_id, const std::string& kind,
                           const std::string& body_json) = 0;
  // The owner's notifications with an id above `after_id`, oldest first, at
  // most `limit`.
  virtual std::vector<Notification> list(std::int64_t owner_id, std::int64_t after_id,
                                         int limit) = 0;
  // Hears of the notifications other processes add() (never of this
  // process's own: NotificationService hands those to its subscribers
  // itself), listening from when this returns. Null: the store has no
  // channel between processes.
  virtual std::unique_ptr<NotificationSignals> listen() { return nullptr; }
};

}  // namespace chargelock::core
