#include "core/notification_service.h"

#include <algorithm>
#include <optional>

#include "core/stores/stores.h"

namespace chargelock::core {

struct NotificationService::Subscription::Entry {
  std::optional<std::int64_t> owner_id;  // none: every owner's
  Listener listener;                     // set before the entry is shared
  base::Mutex mutex;                     // held while the listener runs
  bool active GUARDED_BY(mutex) = true;
};

NotificationService::Subscription::~Subscription() {
  service_.unsubscribe(id_);
  base::MutexLock lock(entry_->mutex);  // waits for a running call
  entry_->active = false;
}

NotificationService::NotificationService(NotificationStore& store) : store_(store) {}

Notification NotificationService::notify(std::int64_t owner_id, const std::string& kind,
                                         const std::string& body_json) {
  WriteBatch alone = WriteBatch::alone();
  return notify(alone, owner_id, kind, body_json);
}

Notification NotificationService::notify(WriteBatch& batch, std::int64_t owner_id,
                                         const std::string& kind, const std::string& body_json) {
  Notification stored = batch.store(&Stores::notifications, store_).add(owner_id, kind, body_json);
  std::vector<std::shared_ptr<Subscription::Entry>> targets = subscribers_of(owner_id);
  if (targets.empty()) return stored;
  // Live streams hear of it once it is committed (in a grouped batch, that
  // is after the batch's commit; a batch that fails runs again and stores,
  // and tells, once).
  batch.after_commit([targets = std::move(targets), stored] { tell(targets, stored); });
  return stored;
}

void NotificationService::publish(const Notification& notification) {
  tell(subscribers_of(notification.owner_id), notification);
}

bool NotificationService::has_subscribers(std::int64_t owner_id) const {
  base::MutexLock lock(mutex_);
  for (const auto& [id, entry] : subscribers_)
    if (!entry->owner_id || *entry->owner_id == owner_id) return true;
  return false;
}

std::vector<std::shared_ptr<NotificationService::Subscription::Entry>>
NotificationService::subscribers_of(std::int64_t owner_id) const {
  std::vector<std::shared_ptr<Subscription::Entry>> targets;
  base::MutexLock lock(mutex_);
  for (const auto& [id, entry] : subscribers_)
    if (!entry->owner_id || *entry->owner_id == owner_id) targets.push_back(entry);
  return targets;
}

void NotificationService::tell(const std::vector<std::shared_ptr<Subscription::Entry>>& targets,
                               const Notification& notification) {
  for (const auto& entry : targets) {
    base::MutexLock lock(entry->mutex);
    if (!entry->active) continue;
    try {
      entry->listener(notification);
    } catch (...) {
      // A failing subscriber must not undo the stored notification.
    }
  }
}

std::vector<Notification> NotificationService::list(std::int64_t owner_id, std::int64_t after_id,
                                                    int limit) {
  return store_.list(owner_id, std::max<std::int64_t>(after_id, 0), std::clamp(limit, 1, 1000));
}

std::unique_ptr<NotificationService::Subscription> NotificationService::subscribe(
    std::int64_t owner_id, Listener listener) {
  return add_subscriber(owner_id, std::move(listener));
}

std::unique_ptr<NotificationService::Subscription> NotificationService::subscribe_all(
    Listener listener) {
  return add_subscriber(std::nullopt, std::move(listener));
}

std::unique_ptr<NotificationService::Subscription> NotificationService::add_subscriber(
    std::optional<std::int64_t> owner_id, Listener listener) {
  auto entry = std::make_shared<Subscription::Entry>();
  entry->owner_id = owner_id;
  entry->listener = std::move(listener);
  base::MutexLock lock(mutex_);
  const std::uint64_t id = next_id_++;
  subscribers_[id] = entry;
  return std::unique_ptr<Subscription>(new Subscription(*this, id, entry));
}

void NotificationService::unsubscribe(std::uint64_t id) {
  base::MutexLock lock(mutex_);
  subscribers_.erase(id);
}

}  // namespace chargelock::core
