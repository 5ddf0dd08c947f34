// Internal to storage/postgres: the per-thread connections and helpers the
// PostgreSQL stores share. Nothing outside storage/postgres includes this.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
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
#include "core/stores/partition_store.h"
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

  // True while a write batch's transaction runs on this connection:
  // libpqxx allows one transaction per connection, so the thread's calls
  // through the plain stores meanwhile take another connection.
  bool lent = false;

  // The commit marker of the last write batch committed on this connection
  // and not yet deleted: the next batch's BEGIN deletes it (see
  // BatchTransaction).
  std::optional<std::int64_t> committed_marker;

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
pqxx::result exec_hot(pqxx::dbtransaction& txn, const std::string& sql, Args&&... args) {
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
void exec_rows(pqxx::dbtransaction& txn, const std::string& prefix,
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

// The transaction of a group commit. Its BEGIN writes the group's commit
// marker (table commit_markers, migration 0012): a random id that
// Database::Impl::committed_in_doubt looks up when the connection is lost
// during the COMMIT. It also deletes the marker of the connection's previous
// group, which is known to have committed, so the table stays about one row
// per connection. All in the BEGIN's simple query: no round trip of its own.
// REQUIRES: `connection` is a postgres::PreparingConnection.
class BatchTransaction final : public pqxx::internal::basic_transaction {
 public:
  explicit BatchTransaction(pqxx::connection_base& connection);
  ~BatchTransaction() noexcept override { End(); }
  std::int64_t marker() const { return marker_; }

 private:
  void do_begin() override;
  const std::int64_t marker_;
  const std::optional<std::int64_t> previous_marker_;
};

// A store's writes held back while its batch is open (see BatchState),
// written as multi-row statements just before the batch commits. Only for
// writes no call of the same batch reads back.
class DeferredWrites {
 public:
  virtual ~DeferredWrites() = default;
  virtual void flush(pqxx::dbtransaction& txn) = 0;
};

// One write batch (core::BatchStores, storage/postgres/batch_stores.cpp):
// its transaction and its held-back writes. Used by the one thread that
// owns the batch.
struct BatchState {
  bool open = false;    // between begin() and commit()/abort()
  bool failed = false;  // a statement failed: every later one fails, the commit rolls back
  // The connection the transaction runs on, kept alive with it: a call
  // through the plain stores on this thread may drop the thread's connection
  // meanwhile. Declared before `txn`, so it outlives it.
  std::shared_ptr<postgres::PreparingConnection> connection;
  std::unique_ptr<BatchTransaction> txn;  // opened by the batch's first statement
  std::vector<std::pair<std::type_index, std::unique_ptr<DeferredWrites>>> deferred;

  // Rolls back what was not committed and forgets it (the batch stays open
  // or closed as it was); the connection is free for other calls again.
  void drop() {
    deferred.clear();
    txn.reset();
    if (connection) connection->lent = false;
    connection.reset();
  }
};

class Database::Impl {
 public:
  explicit Impl(std::string url);
  ~Impl();

  // The calling thread's connection, opened on first use.
  pqxx::connection& connection();
  void release_thread_connection();

  // Runs f(pqxx::dbtransaction&). Without `batch`: in a transaction of its
  // own on the calling thread's connection, committed. With one: inside the
  // batch's transaction (opened by its first statement), not committed.
  // libpqxx errors become core::DatabaseError (core::RowNotFoundError for a
  // foreign key violation, core::RowConflictError for a unique violation);
  // any error fails the batch (its transaction is rolled back at once); a
  // broken connection is dropped so the next call reconnects.
  // REQUIRES: `batch`, if given, is open and belongs to the calling thread.
  template <typename F>
  auto transact(BatchState* batch, F&& f) {
    try {
      if (batch != nullptr) return f(batch_transaction(*batch));
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
      if (batch != nullptr) fail_batch(*batch);
      rethrow_as_database_error();
    }
  }

  // Commits `batch` (see core::BatchStores::commit()) and closes it.
  bool commit_batch(BatchState& batch);
  // Whether the group whose BEGIN wrote commit marker `marker` committed,
  // asked on a new connection (whatever primary answers now) after the old
  // one was lost during its COMMIT: the marker is there, or it is not and a
  // fence row of the same id is written so that the group can never commit
  // later. Waits while the group's COMMIT is still in progress (the fence's
  // insert waits on the marker's) or the database is unreachable, at most
  // kInDoubtPatience; then says false (the caller re-runs the work, which
  // may then be stored twice: logged).
  bool committed_in_doubt(std::int64_t marker);
  static constexpr std::chrono::seconds kInDoubtPatience{30};

  const std::string url;
  const std::string display_url;
  // Names this Database (one per process) in the notifications it signals,
  // so that its own listeners skip them (see notification_store.cpp).
  const std::string origin;
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
  std::unique_ptr<core::PartitionStore> partitions;

 private:
  std::shared_ptr<postgres::PreparingConnection> open();
  // The calling thread's first open connection that no batch holds (opened
  // when there is none: normally a thread has one).
  std::shared_ptr<postgres::PreparingConnection> thread_connection();
  // A transaction on the calling thread's connection. A connection the
  // server closed (PostgreSQL restarted) shows only at its next statement;
  // when that is the BEGIN, nothing has run yet, so the connection is
  // replaced and BEGIN tried once more: the first message after the
  // database is back is served instead of failing once per worker.
  template <typename Transaction = pqxx::work>
  std::unique_ptr<Transaction> begin_transaction(
      std::shared_ptr<postgres::PreparingConnection>* used = nullptr);
  // The transaction of `batch`, opened on first use; throws
  // core::DatabaseError when the batch already failed.
  pqxx::dbtransaction& batch_transaction(BatchState& batch);
  void fail_batch(BatchState& batch);
  // Inside a catch block: rethrows the current exception, libpqxx errors
  // mapped to core::DatabaseError and its subclasses.
  [[noreturn]] void rethrow_as_database_error();

  base::Mutex mutex_;
  std::unordered_map<std::thread::id, std::vector<std::shared_ptr<postgres::PreparingConnection>>>
      connections_ GUARDED_BY(mutex_);
};

namespace postgres {

// Where a store's calls run: each in a transaction of its own (the
// Database's stores), or in one batch's transaction (the stores of a
// core::BatchStores). Copied into each store; two pointers.
class Scope {
 public:
  Scope(Database::Impl& db, BatchState* batch) : db_(&db), batch_(batch) {}

  // See Database::Impl::transact().
  template <typename F>
  auto transact(F&& f) {
    return db_->transact(batch_, std::forward<F>(f));
  }

  // The buffer of type W of this scope's batch (made on first use), or
  // null outside a batch: then the store writes at once. A failure while
  // flushing fails the commit (commit() returns false).
  template <typename W>
  W* deferred() {
    if (batch_ == nullptr) return nullptr;
    if (!batch_->open) throw std::logic_error("a store of a write batch used outside the batch");
    for (auto& [type, writes] : batch_->deferred)
      if (type == typeid(W)) return static_cast<W*>(writes.get());
    batch_->deferred.emplace_back(typeid(W), std::make_unique<W>());
    return static_cast<W*>(batch_->deferred.back().second.get());
  }

  const std::string& url() const { return db_->url; }
  const std::string& origin() const { return db_->origin; }

 private:
  Database::Impl* db_;
  BatchState* batch_;
};

// A new write batch on `database` (Database::make_batch()).
std::unique_ptr<core::BatchStores> make_batch_stores(Database& database);

}  // namespace postgres

namespace postgres {
std::unique_ptr<core::ChargePointStore> make_charge_point_store(Scope db);
std::unique_ptr<core::ConnectorStore> make_connector_store(Scope db);
std::unique_ptr<core::IdTagStore> make_id_tag_store(Scope db);
std::unique_ptr<core::TransactionStore> make_transaction_store(Scope db);
std::unique_ptr<core::MeterValueStore> make_meter_value_store(Scope db);
std::unique_ptr<core::MessageLogStore> make_message_log_store(Scope db);
std::unique_ptr<core::EventStore> make_event_store(Scope db);
std::unique_ptr<core::CommandStore> make_command_store(Scope db);
std::unique_ptr<core::VehicleStore> make_vehicle_store(Scope db);
std::unique_ptr<core::LockStore> make_lock_store(Scope db);
std::unique_ptr<core::NotificationStore> make_notification_store(Scope db);
std::unique_ptr<core::WebhookStore> make_webhook_store(Scope db);
std::unique_ptr<core::ApiTokenStore> make_api_token_store(Scope db);
std::unique_ptr<core::OperatorQueryStore> make_operator_query_store(Scope db);
std::unique_ptr<core::PartitionStore> make_partition_store(Scope db);
}  // namespace postgres

}  // namespace chargelock::storage
