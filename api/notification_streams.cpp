#include "api/notification_streams.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>
#include <vector>

#include "api/api_error.h"
#include "core/log.h"

namespace chargelock::api {

using SteadyClock = std::chrono::steady_clock;

void write_notification(JsonOut& out, const core::Notification& notification) {
  out.begin_object()
      .field("id", notification.id)
      .field("kind", notification.kind)
      .field("createdAt", notification.created_at)
      .raw_json("body", notification.body_json)
      .end_object();
}

struct NotificationStreams::Session {
  std::int64_t owner_id = 0;
  std::shared_ptr<HttpStream> stream;
  std::chrono::seconds heartbeat{15};
  // Ended in the ticker thread (never in a listener call).
  std::unique_ptr<core::NotificationService::Subscription> subscription;

  base::Mutex mutex;
  std::int64_t poll_cursor GUARDED_BY(mutex) = 0;    // the catch-up poll lists after this id
  std::set<std::int64_t> written GUARDED_BY(mutex);  // recent ids written (push and poll overlap)
  SteadyClock::time_point last_write GUARDED_BY(mutex);
  SteadyClock::time_point next_poll GUARDED_BY(mutex);
  bool polling GUARDED_BY(mutex) = false;  // a poll is queued or running
};

std::string NotificationStreams::event_text(const core::Notification& notification) {
  JsonOut out;
  write_notification(out, notification);
  // Kinds and JSON text (RapidJSON escapes control characters) hold no
  // line breaks, so each field is one line.
  return "id: " + std::to_string(notification.id) + "\nevent: " + notification.kind +
         "\ndata: " + out.str() + "\n\n";
}

NotificationStreams::NotificationStreams(core::NotificationService& notifications,
                                         core::WorkQueue& work, NotificationStreamsConfig config)
    : notifications_(notifications), work_(work), config_(config) {
  ticker_ = std::thread([this] { run_ticker(); });
}

NotificationStreams::~NotificationStreams() { stop(); }

void NotificationStreams::stop() {
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
    sessions.swap(sessions_);
    per_owner_.clear();
  }
  wake_.signal_all();
  if (ticker_.joinable()) ticker_.join();
  for (auto& [id, session] : sessions) {
    session->subscription.reset();  // waits for a running listener call
    session->stream->close();
  }
}

std::size_t NotificationStreams::size() const {
  base::MutexLock lock(mutex_);
  return sessions_.size();
}

void NotificationStreams::deliver(Session& session, const core::Notification& notification) {
  base::MutexLock lock(session.mutex);
  if (!session.written.insert(notification.id).second) return;
  while (session.written.size() > 512) session.written.erase(session.written.begin());
  session.stream->write(event_text(notification));
  session.last_write = SteadyClock::now();
}

void NotificationStreams::poll(Session& session, core::NotificationService& notifications) {
  std::int64_t cursor;
  {
    base::MutexLock lock(session.mutex);
    cursor = session.poll_cursor;
  }
  try {
    for (int page = 0; page < 10 && !session.stream->ended(); ++page) {
      const auto found = notifications.list(session.owner_id, cursor, 100);
      for (const auto& notification : found) {
        deliver(session, notification);
        cursor = std::max(cursor, notification.id);
      }
      if (found.size() < 100) break;
    }
  } catch (const std::exception& error) {
    // The database is away: try again at the next poll.
    core::log(core::LogLevel::Error, "stream_poll_failed",
              fmt::format("chargelock: api: notification stream poll failed: {}", error.what()));
  }
  base::MutexLock lock(session.mutex);
  session.poll_cursor = cursor;
  session.polling = false;
}

HttpResponse NotificationStreams::open(std::int64_t owner_id, std::optional<std::int64_t> after_id,
                                       std::chrono::seconds heartbeat) {
  {
    base::MutexLock lock(mutex_);
    if (stopping_) throw ApiError(503, "the server is stopping");
    if (sessions_.size() >= config_.max_streams)
      throw ApiError(503, "too many open notification streams; retry later");
    std::size_t& open = per_owner_[owner_id];
    if (open >= config_.max_streams_per_owner) {
      core::log(core::LogLevel::Warn, "stream_limit",
                fmt::format("chargelock: api: owner {} already has {} notification streams open "
                            "(the limit): answering 429",
                            owner_id, open));
      throw ApiError(429, "too many open notification streams for this owner (limit " +
                              std::to_string(config_.max_streams_per_owner) + "); close one first");
    }
    ++open;
  }
  // The slot is this stream's from here; given back if opening fails.
  struct SlotGuard {
    NotificationStreams& streams;
    std::int64_t owner_id;
    bool kept = false;
    ~SlotGuard() {
      if (kept) return;
      base::MutexLock lock(streams.mutex_);
      streams.release_owner_slot(owner_id);
    }
  } slot{*this, owner_id};
  auto session = std::make_shared<Session>();
  session->owner_id = owner_id;
  session->heartbeat = heartbeat;
  session->stream = std::make_shared<HttpStream>();
  {
    base::MutexLock lock(session->mutex);  // not shared yet, but the analysis cannot know
    session->last_write = SteadyClock::now();
    session->next_poll = SteadyClock::now() + config_.poll_interval;
  }
  // The client reconnects after 3 s; the comment confirms the stream is live.
  session->stream->write("retry: 3000\n: connected\n\n");

  // Subscribe first, then read the backlog: a notification stored between
  // the two is pushed and also listed; `written` drops the second copy.
  std::weak_ptr<Session> weak = session;
  session->subscription =
      notifications_.subscribe(owner_id, [weak](const core::Notification& notification) {
        if (auto alive = weak.lock()) deliver(*alive, notification);
      });
  std::int64_t cursor = after_id.value_or(0);
  for (;;) {
    const auto found = notifications_.list(owner_id, cursor, 1000);
    for (const auto& notification : found) {
      if (after_id) deliver(*session, notification);  // otherwise only skip to the end
      cursor = std::max(cursor, notification.id);
    }
    if (found.size() < 1000) break;
  }
  {
    base::MutexLock lock(session->mutex);
    session->poll_cursor = cursor;
  }
  {
    base::MutexLock lock(mutex_);
    if (stopping_) throw ApiError(503, "the server is stopping");
    sessions_.emplace(next_id_++, session);
    slot.kept = true;
  }
  wake_.signal_all();

  HttpResponse response;
  response.status = 200;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: do not buffer
  response.stream = session->stream;
  return response;
}

void NotificationStreams::release_owner_slot(std::int64_t owner_id) {
  auto it = per_owner_.find(owner_id);
  if (it == per_owner_.end()) return;
  if (--it->second == 0) per_owner_.erase(it);
}

void NotificationStreams::run_ticker() {
  for (;;) {
    std::vector<std::shared_ptr<Session>> ended;
    {
      base::MutexLock lock(mutex_);
      if (stopping_) break;
      wake_.wait_until(SteadyClock::now() + config_.tick);
      if (stopping_) break;
      const auto now = SteadyClock::now();
      for (auto it = sessions_.begin(); it != sessions_.end();) {
        const std::shared_ptr<Session> session = it->second;
        if (session->stream->ended()) {
          ended.push_back(session);
          release_owner_slot(session->owner_id);
          it = sessions_.erase(it);
          continue;
        }
        ++it;
        bool start_poll = false;
        {
          base::MutexLock session_lock(session->mutex);
          if (now - session->last_write >= session->heartbeat) {
            session->stream->write(": heartbeat\n\n");
            session->last_write = now;
          }
          if (!session->polling && now >= session->next_poll) {
            session->polling = true;
            session->next_poll = now + config_.poll_interval;
            start_poll = true;
          }
        }
        if (start_poll) {
          core::NotificationService& notifications = notifications_;
          work_.submit("notification-stream-" + std::to_string(session->owner_id),
                       [session, &notifications] { poll(*session, notifications); });
        }
      }
    }
    // Unsubscribing may wait for a running listener: not under mutex_.
    for (auto& session : ended) session->subscription.reset();
  }
}

}  // namespace chargelock::api
