// Notifications to vehicle owners (SPEC §5): stored per owner (paged by a
// since-cursor) and published to live subscribers (the API's event stream).
//
// Threading: every member may be called from any thread. Subscribers are
// called on the thread that stored the notification (or, for one another
// process stored, on the NotificationRelay's thread); a listener must be
// quick and must not subscribe or unsubscribe from inside the call.
// Subscribers hear of the notifications this process stores, and of those
// another process stored (e.g. an OCPP node when the API runs apart) when
// a NotificationRelay runs here; list() with the last cursor finds both.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "core/stores/notification_store.h"
#include "core/write_batch.h"

namespace chargelock::core {

namespace notification_kind {
inline constexpr const char* kLowBattery = "low_battery";
inline constexpr const char* kVehicleCaught = "vehicle_caught";
inline constexpr const char* kLockState = "lock_state";
inline constexpr const char* kVehicleSighted = "vehicle_sighted";
inline constexpr const char* kLockExpiring = "lock_expiring";
}  // namespace notification_kind

class NotificationService {
 public:
  using Listener = std::function<void(const Notification&)>;

  // Ends the subscription when destroyed: after the destructor returns the
  // listener is never called again.
  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class NotificationService;
    struct Entry;
    Subscription(NotificationService& service, std::uint64_t id, std::shared_ptr<Entry> entry)
        : service_(service), id_(id), entry_(std::move(entry)) {}
    NotificationService& service_;
    std::uint64_t id_;
    std::shared_ptr<Entry> entry_;
  };

  explicit NotificationService(NotificationStore& store);

  // Stores the notification through `batch` (sharing its commit when
  // grouped; without one, in a commit of its own) and hands it to the
  // owner's subscribers once it is committed (batch.after_commit()).
  // Throws RowNotFoundError for an unknown owner.
  Notification notify(WriteBatch& batch, std::int64_t owner_id, const std::string& kind,
                      const std::string& body_json);
  Notification notify(std::int64_t owner_id, const std::string& kind, const std::string& body_json);
  // Hands a notification stored and committed by another process to this
  // process's subscribers (NotificationRelay), as notify() does with its own.
  void publish(const Notification& notification) EXCLUDES(mutex_);
  // True when a subscriber would hear of the owner's notifications.
  bool has_subscribers(std::int64_t owner_id) const EXCLUDES(mutex_);
  // Oldest first: the owner's notifications after the cursor (an id; 0 from
  // the start), at most `limit` (clamped to 1..1000).
  std::vector<Notification> list(std::int64_t owner_id, std::int64_t after_id, int limit = 100);

  std::unique_ptr<Subscription> subscribe(std::int64_t owner_id, Listener listener);
  // Every owner's notifications (e.g. to wake the webhook dispatcher at once
  // instead of at its next poll), as subscribe() otherwise.
  std::unique_ptr<Subscription> subscribe_all(Listener listener);

 private:
  std::unique_ptr<Subscription> add_subscriber(std::optional<std::int64_t> owner_id,
                                               Listener listener) EXCLUDES(mutex_);
  void unsubscribe(std::uint64_t id) EXCLUDES(mutex_);
  std::vector<std::shared_ptr<Subscription::Entry>> subscribers_of(std::int64_t owner_id) const
      EXCLUDES(mutex_);
  static void tell(const std::vector<std::shared_ptr<Subscription::Entry>>& targets,
                   const Notification& notification);

  NotificationStore& store_;
  mutable base::Mutex mutex_;
  std::uint64_t next_id_ GUARDED_BY(mutex_) = 1;
  std::map<std::uint64_t, std::shared_ptr<Subscription::Entry>> subscribers_ GUARDED_BY(mutex_);
};

}  // namespace chargelock::core
