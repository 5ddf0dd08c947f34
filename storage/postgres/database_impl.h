// Internal to storage/postgres: the per-thread connections and helpers the
// PostgreSQL stores share. Nothing outside storage/postgres includes this.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <type_traits>
#include <typeindex>
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
// "2024-05-01 12:00:05.123456+00": a timestamptz as COPY's text format takes it.
std::string copy_timestamp(Timestamp t);

// Multi-row insert support: "(t0($1), t1($2)), (t0($3), t1($4))" for `rows`
// rows, where each template holds one {} for the column's placeholder
// (e.g. "{}::integer"). Values go in as text, row by row.
std::string values_rows(std::size_t rows, const std::vector<std::string>& column_templates);
using TextParams = std::vector<std::optional<std::string>>;
inline std::optional<std::string> text_param(const std::optional<int>& v) {
  return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}
// Runs `sql` as a prepared statement of the transaction's connection,
// prepared on first use (libpqxx registers it lazily, per connection, so a
// reconnect prepares again); the name derives from the SQL text. For the
// statements every OCPP message runs: PostgreSQL then skips parsing and
// planning them each time.
template <typename... Args>
pqxx::result exec_hot(pqxx::work& txn, const std::string& sql, Args&&... args) {
  const std::string name = "hot_" + std::to_string(std::hash<std::string>{}(sql));
  txn.conn().prepare(name, sql);
  return txn.exec_prepared(name, std::forward<Args>(args)...);
}

// Rows per multi-row statement (keeps under PostgreSQL's 65535 parameters).
constexpr std::size_t kRowsPerInsert = 1000;

// Runs `prefix + values_rows(...) + suffix` over `count` rows, in statements
// of at most kRowsPerInsert rows, in row order. add_row(i, params) appends
// row i's values (one per column template); each statement's result goes to
// on_result when given. A statement of one row runs prepared (exec_hot): one
// row at a time is the common case outside a batch.
void exec_rows(pqxx::work& txn, const std::string& prefix,
               const std::vector<std::string>& column_templates, const std::string& suffix,
               std::size_t count, const std::function<void(std::size_t, TextParams&)>& add_row,
               const std::function<void(const pqxx::result&)>& on_result = nullptr);

// "postgresql://user:secret@host/db" -> "postgresql://user@host/db";
// key=value strings lose their password=... part.
std::string without_password(const std::string& url);

}  // namespace postgres

// A store's writes held back while a batch is open on the thread (see
// Database::begin_batch()), written as multi-row statements just before the
// batch commits. Only for writes no call of the same batch reads back.
class DeferredWrites {
 public:
  virtual ~DeferredWrites() = default;
  virtual void flush(pqxx::work& txn) = 0;
};

class Database::Impl {
 public:
  explicit Impl(std::string url);
  ~Impl();

  // The calling thread's connection, opened on first use.
  pqxx::connection& connection();
  void release_thread_connection();

  // Runs f(pqxx::work&) in a transaction on the calling thread's connection
  // and commits, or, while the thread has a batch open (begin_batch()),
  // inside the batch's transaction without committing. libpqxx errors become
  // DatabaseError (NotFoundError for a foreign key violation, ConflictError
  // for a unique violation); any error marks an open batch failed; a broken
  // connection is dropped so the next call reconnects.
  template <typename F>
  auto transact(F&& f) {
    try {
      if (pqxx::work* shared = batch_transaction()) return f(*shared);
      const auto txn = begin_transaction();
      if constexpr (std::is_void_v<decltype(f(*txn))>) {
        f(*txn);
        txn->commit();
      } else {
        auto result = f(*txn);
        txn->commit();
        return result;
      }
    } catch (...) {
      fail_batch();
      rethrow_as_database_error();
    }
  }

  // Group commit on the calling thread (see Database::begin_batch()).
  void begin_batch();
  bool commit_batch();
  void abort_batch();

  // The buffer of type W of the batch open on this thread (made on first
  // use), or null when none is open: then the store writes at once. A failure
  // while flushing fails the commit (commit_batch() returns false).
  template <typename W>
  W* deferred() {
    return static_cast<W*>(deferred_slot(typeid(W), [] { return std::make_unique<W>(); }));
  }

  const std::string url;
  const std::string display_url;
  DatabaseStats stats;

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
  // A transaction on the calling thread's connection. A connection the
  // server closed (PostgreSQL restarted) shows only at its next statement;
  // when that is the BEGIN, nothing has run yet, so the connection is
  // replaced and BEGIN tried once more: the first message after the
  // database is back is served instead of failing once per worker.
  std::unique_ptr<pqxx::work> begin_transaction();
  // The open batch's transaction on this thread; throws DatabaseError when
  // the batch already failed (its transaction is unusable); null when none.
  pqxx::work* batch_transaction();
  void fail_batch();
  DeferredWrites* deferred_slot(std::type_index type,
                                const std::function<std::unique_ptr<DeferredWrites>()>& make);
  // Inside a catch block: rethrows the current exception, libpqxx errors
  // mapped to DatabaseError and its subclasses.
  [[noreturn]] void rethrow_as_database_error();

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
