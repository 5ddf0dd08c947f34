// Internal to storage/postgres: the per-thread connections and helpers the
// PostgreSQL stores share. Nothing outside storage/postgres includes this.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "storage/charge_point_store.h"
#include "storage/command_store.h"
#include "storage/connector_store.h"
#include "storage/database.h"
#include "storage/database_error.h"
#include "storage/event_store.h"
#include "storage/id_tag_store.h"
#include "storage/lock_store.h"
#include "storage/message_log_store.h"
#include "storage/meter_value_store.h"
#include "storage/notification_store.h"
#include "storage/timestamp.h"
#include "storage/transaction_store.h"
#include "storage/vehicle_store.h"
#include "storage/webhook_store.h"

namespace chargelock::storage {

namespace postgres {

// Timestamps travel as microseconds since the epoch; SQL converts them with
// micros_to_ts() / ts_to_micros() (migration 0001).
std::int64_t to_micros(Timestamp t);
Timestamp from_micros(std::int64_t micros);
std::optional<std::int64_t> to_micros(const std::optional<Timestamp>& t);
std::optional<Timestamp> optional_time(const pqxx::field& micros);
std::optional<std::string> optional_text(const pqxx::field& field);
std::optional<int> optional_int(const pqxx::field& field);

// Multi-row insert support: "(t0($1), t1($2)), (t0($3), t1($4))" for `rows`
// rows, where each template holds one {} for the column's placeholder
// (e.g. "{}::integer"). Values go in as text, row by row.
std::string values_rows(std::size_t rows, const std::vector<std::string>& column_templates);
using TextParams = std::vector<std::optional<std::string>>;
inline std::optional<std::string> text_param(const std::optional<int>& v) {
  return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}
// Rows per multi-row statement (keeps under PostgreSQL's 65535 parameters).
constexpr std::size_t kRowsPerInsert = 1000;

// "postgresql://user:secret@host/db" -> "postgresql://user@host/db";
// key=value strings lose their password=... part.
std::string without_password(const std::string& url);

}  // namespace postgres

class Database::Impl {
 public:
  explicit Impl(std::string url);
  ~Impl();

  // The calling thread's connection, opened on first use.
  pqxx::connection& connection();
  void release_thread_connection();

  // Runs f(pqxx::work&) in a transaction on the calling thread's connection
  // and commits. libpqxx errors become DatabaseError (NotFoundError for a
  // foreign key violation, ConflictError for a unique violation); a broken
  // connection is dropped so the next call reconnects.
  template <typename F>
  auto transact(F&& f) {
    try {
      pqxx::work txn(connection());
      if constexpr (std::is_void_v<decltype(f(txn))>) {
        f(txn);
        txn.commit();
      } else {
        auto result = f(txn);
        txn.commit();
        return result;
      }
    } catch (const DatabaseError&) {
      throw;
    } catch (const pqxx::broken_connection& e) {
      release_thread_connection();
      throw DatabaseError("lost connection to database " + display_url + ": " + e.what());
    } catch (const pqxx::foreign_key_violation& e) {
      throw NotFoundError(std::string("referenced row does not exist: ") + e.what());
    } catch (const pqxx::unique_violation& e) {
      throw ConflictError(std::string("row already exists: ") + e.what());
    } catch (const pqxx::failure& e) {
      throw DatabaseError(std::string("database error: ") + e.what());
    }
  }

  const std::string url;
  const std::string display_url;

  std::unique_ptr<ChargePointStore> charge_points;
  std::unique_ptr<ConnectorStore> connectors;
  std::unique_ptr<IdTagStore> id_tags;
  std::unique_ptr<TransactionStore> transactions;
  std::unique_ptr<MeterValueStore> meter_values;
  std::unique_ptr<MessageLogStore> message_log;
  std::unique_ptr<EventStore> events;
  std::unique_ptr<CommandStore> commands;
  std::unique_ptr<VehicleStore> vehicles;
  std::unique_ptr<LockStore> locks;
  std::unique_ptr<NotificationStore> notifications;
  std::unique_ptr<WebhookStore> webhooks;

 private:
  std::unique_ptr<pqxx::connection> open();

  std::mutex mutex_;
  std::unordered_map<std::thread::id, std::unique_ptr<pqxx::connection>> connections_;
};

namespace postgres {
std::unique_ptr<ChargePointStore> make_charge_point_store(Database::Impl& db);
std::unique_ptr<ConnectorStore> make_connector_store(Database::Impl& db);
std::unique_ptr<IdTagStore> make_id_tag_store(Database::Impl& db);
std::unique_ptr<TransactionStore> make_transaction_store(Database::Impl& db);
std::unique_ptr<MeterValueStore> make_meter_value_store(Database::Impl& db);
std::unique_ptr<MessageLogStore> make_message_log_store(Database::Impl& db);
std::unique_ptr<EventStore> make_event_store(Database::Impl& db);
std::unique_ptr<CommandStore> make_command_store(Database::Impl& db);
std::unique_ptr<VehicleStore> make_vehicle_store(Database::Impl& db);
std::unique_ptr<LockStore> make_lock_store(Database::Impl& db);
std::unique_ptr<NotificationStore> make_notification_store(Database::Impl& db);
std::unique_ptr<WebhookStore> make_webhook_store(Database::Impl& db);
}  // namespace postgres

}  // namespace chargelock::storage
