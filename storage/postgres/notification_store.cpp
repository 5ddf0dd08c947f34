// PostgreSQL core::NotificationStore, and the channel on which a stored
// notification is signalled to the other processes (NotificationRelay).
#include "core/stores/notification_store.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "storage/postgres/channel_listener.h"
#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

// NOTIFY chargelock_notifications, '<origin> <owner id> <notification id>'.
constexpr const char* kNotificationChannel = "chargelock_notifications";

// Parses a signal's payload; false for one that is not ours.
bool parse_signal(std::string_view payload, std::string_view& origin,
                  core::NotificationSignal& signal) {
  const auto first = payload.find(' ');
  const auto second = payload.find(' ', first == std::string_view::npos ? first : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return false;
  origin = payload.substr(0, first);
  const std::string_view owner = payload.substr(first + 1, second - first - 1);
  const std::string_view id = payload.substr(second + 1);
  return std::from_chars(owner.data(), owner.data() + owner.size(), signal.owner_id).ec ==
             std::errc{} &&
         std::from_chars(id.data(), id.data() + id.size(), signal.id).ec == std::errc{};
}

// The relay's side of the channel: each signal parsed, this process's own
// left out.
class PgNotificationSignals final : public core::NotificationSignals {
 public:
  PgNotificationSignals(std::string url, std::string origin)
      : listener_(std::move(url), kNotificationChannel), origin_(std::move(origin)) {}

  std::vector<core::NotificationSignal> wait(std::chrono::milliseconds timeout) override {
    std::vector<core::NotificationSignal> heard;
    for (const std::string& payload : listener_.wait(timeout)) {
      std::string_view origin;
      core::NotificationSignal signal;
      // Our own process's subscribers were told by NotificationService.
      if (parse_signal(payload, origin, signal) && origin != origin_) heard.push_back(signal);
    }
    return heard;
  }

 private:
  ChannelListener listener_;
  const std::string origin_;
};

core::Notification read_notification(const pqxx::row& row) {
  core::Notification n;
  n.id = row[0].as<std::int64_t>();
  n.owner_id = row[1].as<std::int64_t>();
  n.kind = row[2].as<std::string>();
  n.body_json = row[3].as<std::string>();
  n.created_at = from_micros(row[4].as<std::int64_t>());
  return n;
}

class PgNotificationStore final : public core::NotificationStore {
 public:
  explicit PgNotificationStore(Scope db) : db_(db) {}

  core::Notification add(std::int64_t owner_id, const std::string& kind,
                         const std::string& body_json) override {
    // One statement: the notification; the webhook outbox row (migration
    // 0005) in the same transaction, so a stored notification of an owner
    // with a webhook is always delivered; and the signal to the other
    // processes, sent by PostgreSQL at the commit (never for a rollback).
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_notification(
          txn.exec_params1("WITH stored AS (INSERT INTO owner_notifications (owner_id, kind, body)"
                           "   VALUES ($1, $2, $3) RETURNING id, owner_id, kind, body, created_at),"
                           " outbox AS (INSERT INTO webhook_deliveries (notification_id, owner_id)"
                           "   SELECT stored.id, stored.owner_id FROM stored"
                           "   JOIN owner_webhooks w ON w.owner_id = stored.owner_id)"
                           " SELECT id, owner_id, kind, body, ts_to_micros(created_at),"
                           "   pg_notify($4, $5 || ' ' || owner_id || ' ' || id) FROM stored",
                           owner_id, kind, body_json, kNotificationChannel, db_.origin()));
    });
  }

  std::unique_ptr<core::NotificationSignals> listen() override {
    return std::make_unique<PgNotificationSignals>(db_.url(), db_.origin());
  }

  std::vector<core::Notification> list(std::int64_t owner_id, std::int64_t after_id,
                                       int limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::Notification> out;
      for (const auto& row : txn.exec_params(
               "SELECT id, owner_id, kind, body, ts_to_micros(created_at)"
               " FROM owner_notifications WHERE owner_id = $1 AND id > $2 ORDER BY id LIMIT $3",
               owner_id, after_id, std::max(limit, 0)))
        out.push_back(read_notification(row));
      return out;
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::NotificationStore> make_notification_store(Scope db) {
  return std::make_unique<PgNotificationStore>(db);
}

}  // namespace chargelock::storage::postgres
