// Internal to storage/postgres: the per-thread connections and helpers the
// PostgreSQL stores share. Nothing outside storage/postgres includes this.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "core/domain_errors.h"
#include "core/stores/api_token_store.h"
#include "core/stores/charge_point_store.h"
#include "core/stores/command_store.h"
#include "core/stores/connector_store.h"
#include "core/stores/event_store.h"
#include "core/stores/id_tag_store.h"
#include "core/stores/lock_store.h"
#include "core/stores/message_log_store.h"
#include "core/stores/meter_value_store.h"
#include "core/stores/notification_store.h"
#include "core/stores/operator_query_store.h"
#include "core/stores/transaction_store.h"
#include "core/stores/vehicle_store.h"
#include "core/stores/webhook_store.h"
#include "core/timestamp.h"
#include "storage/database.h"

namespace chargelock::storage {

namespace postgres {

// Timestamps travel as microseconds since the epoch; SQL converts them with
// micros_to_ts() / ts_to_micros() (migration 0001).
std::int64_t to_micros(core::Timestamp t);
core::Timestamp from_micros(std::int64_t micros);
std::optional<std::int64_t> to_micros(const std::optional<core::Timestamp>& t);
std::optional<core::Timestamp> optional_time(const pqxx::field& micros);
std::optional<std::string> optional_text(const pqxx::field& field);
std::optional<int> optional_int(const pqxx::field& field);
// "2024-05-01 12:00:05.123456+00": a timestamptz as COPY's text format takes it.
std::string copy_timestamp(core::Timestamp t);

// Multi-row insert support: "(t0($1), t1($2)), (t0($3), t1($4))" for `rows`
// rows, where each template holds one {} for the column's placeholder
// (e.g. "{}::integer"). Values go in as text, row by row.
std::string values_rows(std::size_t rows, const std::vector<std::string>& column_templates);
using TextParams = std::vector<std::optional<std::string>>;
// A connection of Database::Impl, which remembers the statements it has
// prepared. libpqxx 6.4 registers a prepared statement lazily and takes the
// same definition twice; libpqxx 7 prepares at once and refuses a name
// already prepared. Preparing once per connection is right for both.
// Used by the one thread that owns the connection (see Database::Impl).
class PreparingConnection : public pqxx::connection {
 public:
  explicit PreparingConnection(const std::string& url) : pqxx::connection(url) {}

  // Prepares `sql` as `name` unless this connection already did. Throws
  // std::logic_error when `name` was prepared with another text.
  void prepare_once(const std::string& name, const std::string& sql) {
    const auto it = prepared_.find(name);
    if (it != prepared_.end()) {
      if (it->second != sql) throw std::logic_error("prepared statement " + name + " redefined");
      return;
    }
    prepare(name, sql);
    prepared_.emplace(name, sql);  // only once prepare() succeeded
  }

 private:
  std::unordered_map<std::string, std::string> prepared_;  // name -> SQL
};

// Runs `sql` as a prepared statement of the transaction's connection,
// prepared on its first use there (a reconnect is a new connection, which
// prepares again); the name derives from the SQL text. For the statements
// every OCPP message runs: PostgreSQL then skips parsing and planning them
// each time.
// REQUIRES: `txn` runs on a connection of Database::Impl (every store
// transaction does: they come from Impl::transact / the batch).
template <typename... Args>
pqxx::result exec_hot(pqxx::work& txn, const std::string& sql, Args&&... args) {
  const std::string name = "hot_" + std::to_string(std::hash<std::string>{}(sql));
  static_cast<PreparingConnection&>(txn.conn()).prepare_once(name, sql);
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

// A PostgreSQL array literal of `values` ({"a","b",NULL}), every element
// quoted and escaped: one parameter for a whole batch (`unnest($1::text[])`,
// `= ANY($1::bigint[])`), whatever its size.
std::string text_array(const std::vector<std::string>& values);
std::string text_array(const std::vector<std::optional<std::string>>& values);

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
  // core::DatabaseError (core::RowNotFoundError for a foreign key violation, core::RowConflictError
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
  // Whether the transaction `txid` committed, asked on a new connection after
  // the old one was lost during its COMMIT (txid_status). Waits while it is
  // still in progress or the database is unreachable, at most
  // kInDoubtPatience; then says false (the caller re-runs the work, which may
  // then be stored twice: logged).
  bool committed_in_doubt(std::int64_t txid);
  static constexpr std::chrono::seconds kInDoubtPatience{30};

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

  std::unique_ptr<core::ChargePointStore> charge_points;
  std::unique_ptr<core::ConnectorStore> connectors;
  std::unique_ptr<core::IdTagStore> id_tags;
  std::unique_ptr<core::TransactionStore> transactions;
  std::unique_ptr<core::MeterValueStore> meter_values;
  std::unique_ptr<core::MessageLogStore> message_log;
  std::unique_ptr<core::EventStore> events;
  std::unique_ptr<core::CommandStore> commands;
  std::unique_ptr<core::VehicleStore> vehicles;
  std::unique_ptr<core::LockStore> locks;
  std::unique_ptr<core::NotificationStore> notifications;
  std::unique_ptr<core::WebhookStore> webhooks;
  std::unique_ptr<core::ApiTokenStore> api_tokens;
  std::unique_ptr<core::OperatorQueryStore> operator_queries;

 private:
  std::unique_ptr<postgres::PreparingConnection> open();
  // A transaction on the calling thread's connection. A connection the
  // server closed (PostgreSQL restarted) shows only at its next statement;
  // when that is the BEGIN, nothing has run yet, so the connection is
  // replaced and BEGIN tried once more: the first message after the
  // database is back is served instead of failing once per worker.
  std::unique_ptr<pqxx::work> begin_transaction();
  // The open batch's transaction on this thread; throws core::DatabaseError when
  // the batch already failed (its transaction is unusable); null when none.
  pqxx::work* batch_transaction();
  void fail_batch();
  DeferredWrites* deferred_slot(std::type_index type,
                                const std::function<std::unique_ptr<DeferredWrites>()>& make);
  // Inside a catch block: rethrows the current exception, libpqxx errors
  // mapped to core::DatabaseError and its subclasses.
  [[noreturn]] void rethrow_as_database_error();

  std::mutex mutex_;
  std::unordered_map<std::thread::id, std::unique_ptr<postgres::PreparingConnection>> connections_;
};

namespace postgres {
std::unique_ptr<core::ChargePointStore> make_charge_point_store(Database::Impl& db);
std::unique_ptr<core::ConnectorStore> make_connector_store(Database::Impl& db);
std::unique_ptr<core::IdTagStore> make_id_tag_store(Database::Impl& db);
std::unique_ptr<core::TransactionStore> make_transaction_store(Database::Impl& db);
std::unique_ptr<core::MeterValueStore> make_meter_value_store(Database::Impl& db);
std::unique_ptr<core::MessageLogStore> make_message_log_store(Database::Impl& db);
std::unique_ptr<core::EventStore> make_event_store(Database::Impl& db);
std::unique_ptr<core::CommandStore> make_command_store(Database::Impl& db);
std::unique_ptr<core::VehicleStore> make_vehicle_store(Database::Impl& db);
std::unique_ptr<core::LockStore> make_lock_store(Database::Impl& db);
std::unique_ptr<core::NotificationStore> make_notification_store(Database::Impl& db);
std::unique_ptr<core::WebhookStore> make_webhook_store(Database::Impl& db);
std::unique_ptr<core::ApiTokenStore> make_api_token_store(Database::Impl& db);
std::unique_ptr<core::OperatorQueryStore> make_operator_query_store(Database::Impl& db);
}  // namespace postgres

}  // namespace chargelock::storage
