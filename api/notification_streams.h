// Owners' live notification streams (GET /notifications/stream): one
// server-sent-events response per client, fed without holding any thread.
//
//   - Push: each stream subscribes to core::NotificationService; a
//     notification stored by this process is written to the stream by the
//     thread that stored it (a buffer append plus a loop wake-up, see
//     HttpStream), at once; one stored by another process (an OCPP node
//     when the API runs apart) by the process's core::NotificationRelay
//     thread, as soon as PostgreSQL signals its commit.
//   - Catch-up: a poll of the database on an API worker every
//     `poll_interval`, after the stream's cursor, finds what a lost signal
//     (the relay's connection was down) did not bring. A notification both
//     pushed and polled is written once (by id).
//   - Heartbeat: a comment line when the stream was silent for its
//     heartbeat interval, so proxies and clients see a live connection.
//
// One ticker thread does the timing (heartbeats, polls) and drops ended
// streams (their subscriptions). Events carry the notification id as the
// SSE id, so a client reconnecting with Last-Event-ID gets what it missed.
//
// Threading: open() runs on a worker; everything else is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/http_server.h"
#include "api/json_util.h"
#include "base/mutex.h"
#include "core/notification_service.h"
#include "core/work_queue.h"

namespace chargelock::api {

struct NotificationStreamsConfig {
  std::size_t max_streams = 100;  // more are answered 503
  // Streams one owner (inbox) may hold open at once; more are answered 429,
  // so one owner's runaway client cannot take every stream of the server.
  std::size_t max_streams_per_owner = 5;
  std::chrono::milliseconds poll_interval{2000};  // catch-up poll of the database
  std::chrono::milliseconds tick{250};            // ticker resolution
};

// {"id","kind","createdAt","body"}: a notification in GET /notifications and
// in the stream's events.
void write_notification(JsonOut& out, const core::Notification& notification);

class NotificationStreams {
 public:
  NotificationStreams(core::NotificationService& notifications, core::WorkQueue& work,
                      NotificationStreamsConfig config = {});
  ~NotificationStreams();  // stop()
  NotificationStreams(const NotificationStreams&) = delete;
  NotificationStreams& operator=(const NotificationStreams&) = delete;

  // A text/event-stream response for the owner: first the notifications
  // after `after_id` (none: only those stored from now on), then each new
  // one. ApiError 503 when max_streams are open, 429 (logged) when the owner
  // already has max_streams_per_owner open. Blocks on the database (call on
  // a worker).
  HttpResponse open(std::int64_t owner_id, std::optional<std::int64_t> after_id,
                    std::chrono::seconds heartbeat) EXCLUDES(mutex_);

  // Ends every stream and the ticker; later open() calls answer 503.
  void stop() EXCLUDES(mutex_);

  std::size_t size() const EXCLUDES(mutex_);

  // One notification as an SSE event ("id", "event" = kind, "data" = the
  // JSON of GET /notifications).
  static std::string event_text(const core::Notification& notification);

 private:
  struct Session;
  static void deliver(Session& session, const core::Notification& notification);
  static void poll(Session& session, core::NotificationService& notifications);
  void run_ticker() EXCLUDES(mutex_);

  core::NotificationService& notifications_;
  core::WorkQueue& work_;
  const NotificationStreamsConfig config_;

  mutable base::Mutex mutex_;
  base::CondVar wake_{&mutex_};
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::uint64_t next_id_ GUARDED_BY(mutex_) = 1;
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions_ GUARDED_BY(mutex_);
  // Open streams per owner, including those still being opened (counted
  // from the check on, so concurrent opens cannot overshoot the cap).
  std::map<std::int64_t, std::size_t> per_owner_ GUARDED_BY(mutex_);
  void release_owner_slot(std::int64_t owner_id) REQUIRES(mutex_);
  std::thread ticker_;
};

}  // namespace chargelock::api
