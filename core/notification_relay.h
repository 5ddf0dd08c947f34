// Brings the notifications other processes store to this process's
// subscribers at once. When the API runs apart from the OCPP nodes, a pile's
// VehicleLocked stores its vehicle_caught on an OCPP node, while the owner's
// event stream and webhook are served by an API process: without the relay
// they waited for the stream's catch-up poll (every 2 s) and the webhook
// dispatcher's poll (every 500 ms).
//
// One thread: it waits on the store's signals (NotificationStore::listen(),
// PostgreSQL LISTEN on its own connection), reads each signalled
// notification back by id, and hands it to NotificationService::publish()
// as if it had been stored here: the owner's streams write it, the webhook
// dispatcher wakes. A process's own notifications are never signalled to
// itself (notify() already told its subscribers), and a stream may still
// find a relayed notification in its catch-up poll too: streams write each
// id once (api/notification_streams.cpp), webhook rows are claimed once.
// Signals lost while the connection was down are left to those polls.
//
// Threading: start() and stop() from the thread that owns the relay.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "core/notification_service.h"
#include "core/stores/notification_store.h"

namespace chargelock::core {

class NotificationRelay {
 public:
  // `on_thread_exit` runs last on the relay's thread (e.g. to release its
  // database connection). `store` is read on the relay's thread.
  NotificationRelay(NotificationService& notifications, NotificationStore& store,
                    std::function<void()> on_thread_exit = nullptr);
  ~NotificationRelay();  // stop()
  NotificationRelay(const NotificationRelay&) = delete;
  NotificationRelay& operator=(const NotificationRelay&) = delete;

  // Listens from when it returns (a notification committed after start()
  // is relayed). Once; a store without a channel makes it a no-op.
  void start();
  // Ends the thread within about a second (its wait's timeout); idempotent.
  void stop();

 private:
  void run(std::unique_ptr<NotificationSignals> signals);

  NotificationService& notifications_;
  NotificationStore& store_;
  std::function<void()> on_thread_exit_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace chargelock::core
