// PostgreSQL core::NotificationStore.
#include "core/stores/notification_store.h"

#include <algorithm>

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

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
    return db_.transact([&](pqxx::dbtransaction& txn) {
      core::Notification stored = read_notification(txn.exec_params1(
          "INSERT INTO owner_notifications (owner_id, kind, body) VALUES ($1, $2, $3)"
          " RETURNING id, owner_id, kind, body, ts_to_micros(created_at)",
          owner_id, kind, body_json));
      // The webhook outbox (migration 0005), in the same transaction: a
      // stored notification of an owner with a webhook is always delivered.
      txn.exec_params(
          "INSERT INTO webhook_deliveries (notification_id, owner_id)"
          " SELECT $1, owner_id FROM owner_webhooks WHERE owner_id = $2",
          stored.id, owner_id);
      return stored;
    });
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
