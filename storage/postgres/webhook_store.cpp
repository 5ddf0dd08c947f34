// PostgreSQL core::WebhookStore (migration 0005).
#include "core/stores/webhook_store.h"

#include <algorithm>

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

constexpr const char* kWebhookColumns =
    "owner_id, url, secret, ts_to_micros(created_at), ts_to_micros(updated_at)";

core::WebhookRecord read_webhook(const pqxx::row& row) {
  core::WebhookRecord w;
  w.owner_id = row[0].as<std::int64_t>();
  w.url = row[1].as<std::string>();
  w.secret = row[2].as<std::string>();
  w.created_at = from_micros(row[3].as<std::int64_t>());
  w.updated_at = from_micros(row[4].as<std::int64_t>());
  return w;
}

// Columns 0..9 of a delivery, prefixed with `d.` where the query joins.
std::string delivery_columns(const std::string& p) {
  return p + "id, " + p + "notification_id, " + p + "owner_id, " + p + "status, " + p +
         "attempts, ts_to_micros(" + p + "next_attempt_at), " + p + "last_status, " + p +
         "last_error, ts_to_micros(" + p + "created_at), ts_to_micros(" + p + "delivered_at)";
}

core::WebhookDeliveryRecord read_delivery(const pqxx::row& row) {
  core::WebhookDeliveryRecord d;
  d.id = row[0].as<std::int64_t>();
  d.notification_id = row[1].as<std::int64_t>();
  d.owner_id = row[2].as<std::int64_t>();
  d.status = row[3].as<std::string>();
  d.attempts = row[4].as<int>();
  d.next_attempt_at = from_micros(row[5].as<std::int64_t>());
  d.last_status = optional_int(row[6]);
  d.last_error = optional_text(row[7]);
  d.created_at = from_micros(row[8].as<std::int64_t>());
  d.delivered_at = optional_time(row[9]);
  return d;
}

class PgWebhookStore final : public core::WebhookStore {
 public:
  explicit PgWebhookStore(Scope db) : db_(db) {}

  core::WebhookRecord put(std::int64_t owner_id, const std::string& url,
                          const std::string& secret) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_webhook(txn.exec_params1(
          std::string("INSERT INTO owner_webhooks (owner_id, url, secret) VALUES ($1, $2, $3)"
                      " ON CONFLICT (owner_id) DO UPDATE SET url = excluded.url,"
                      " secret = excluded.secret, updated_at = now() RETURNING ") +
              kWebhookColumns,
          owner_id, url, secret));
    });
  }

  std::optional<core::WebhookRecord> find(std::int64_t owner_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::WebhookRecord> {
      const auto r = txn.exec_params(
          std::string("SELECT ") + kWebhookColumns + " FROM owner_webhooks WHERE owner_id = $1",
          owner_id);
      if (r.empty()) return std::nullopt;
      return read_webhook(r[0]);
    });
  }

  bool remove(std::int64_t owner_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params("DELETE FROM owner_webhooks WHERE owner_id = $1", owner_id)
                 .affected_rows() > 0;
    });
  }

  std::vector<core::ClaimedWebhookDelivery> claim_due(int limit, core::Timestamp now,
                                                      std::chrono::milliseconds lease) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ClaimedWebhookDelivery> out;
      const auto rows = txn.exec_params(
          "WITH due AS (SELECT id FROM webhook_deliveries"
          "  WHERE status = 'pending' AND next_attempt_at <= micros_to_ts($3)"
          "  ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
          " UPDATE webhook_deliveries d SET attempts = d.attempts + 1,"
          "  next_attempt_at = micros_to_ts($3) + $2 * interval '1 millisecond'"
          " FROM due, owner_notifications n, owner_webhooks w"
          " WHERE d.id = due.id AND n.id = d.notification_id AND w.owner_id = d.owner_id"
          " RETURNING " +
              delivery_columns("d.") +
              ", n.kind, n.body, ts_to_micros(n.created_at), w.url, w.secret",
          std::max(limit, 0), static_cast<std::int64_t>(lease.count()), postgres::to_micros(now));
      for (const auto& row : rows) {
        core::ClaimedWebhookDelivery c;
        c.delivery = read_delivery(row);
        c.notification.id = c.delivery.notification_id;
        c.notification.owner_id = c.delivery.owner_id;
        c.notification.kind = row[10].as<std::string>();
        c.notification.body_json = row[11].as<std::string>();
        c.notification.created_at = from_micros(row[12].as<std::int64_t>());
        c.url = row[13].as<std::string>();
        c.secret = row[14].as<std::string>();
        out.push_back(std::move(c));
      }
      std::sort(out.begin(), out.end(),
                [](const auto& a, const auto& b) { return a.delivery.id < b.delivery.id; });
      return out;
    });
  }

  void mark_delivered(std::int64_t id, int http_status) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(),"
          " last_status = $2, last_error = NULL WHERE id = $1 AND status = 'pending'",
          id, http_status);
    });
  }

  void mark_retry(std::int64_t id, std::optional<int> http_status, const std::string& error,
                  core::Timestamp next_attempt_at) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "UPDATE webhook_deliveries SET last_status = $2, last_error = $3,"
          " next_attempt_at = micros_to_ts($4) WHERE id = $1 AND status = 'pending'",
          id, http_status, error, to_micros(next_attempt_at));
    });
  }

  void mark_failed(std::int64_t id, std::optional<int> http_status,
                   const std::string& error) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "UPDATE webhook_deliveries SET status = 'failed', last_status = $2, last_error = $3"
          " WHERE id = $1 AND status = 'pending'",
          id, http_status, error);
    });
  }

  std::vector<core::WebhookDeliveryRecord> deliveries(std::int64_t owner_id, int limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::WebhookDeliveryRecord> out;
      for (const auto& row : txn.exec_params("SELECT " + delivery_columns("") +
                                                 " FROM webhook_deliveries WHERE owner_id = $1"
                                                 " ORDER BY id DESC LIMIT $2",
                                             owner_id, std::max(limit, 0)))
        out.push_back(read_delivery(row));
      return out;
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::WebhookStore> make_webhook_store(Scope db) {
  return std::make_unique<PgWebhookStore>(db);
}

}  // namespace chargelock::storage::postgres
