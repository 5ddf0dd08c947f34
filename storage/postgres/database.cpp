#include "storage/database.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <regex>
#include <stdexcept>
#include <thread>

#include "base/ids.h"
#include "storage/migrations.h"
#include "storage/postgres/database_impl.h"

namespace chargelock::storage {

namespace postgres {

std::int64_t to_micros(core::Timestamp t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

core::Timestamp from_micros(std::int64_t micros) {
  return core::Timestamp(
      std::chrono::duration_cast<core::Timestamp::duration>(std::chrono::microseconds(micros)));
}

std::optional<std::int64_t> to_micros(const std::optional<core::Timestamp>& t) {
  if (!t) return std::nullopt;
  return to_micros(*t);
}

std::optional<core::Timestamp> optional_time(const pqxx::field& micros) {
  if (micros.is_null()) return std::nullopt;
  return from_micros(micros.as<std::int64_t>());
}

std::optional<std::string> optional_text(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::string>();
}

std::optional<int> optional_int(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<int>();
}

std::string copy_timestamp(core::Timestamp t) {
  const std::int64_t micros = to_micros(t);
  std::int64_t seconds = micros / 1000000;
  std::int64_t fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    --seconds;
  }
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
}

std::string values_rows(std::size_t rows, const std::vector<std::string>& column_templates) {
  std::string sql;
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t c = 0; c < column_templates.size(); ++c) {
      if (c) sql += ", ";
      sql += fmt::format(fmt::runtime(column_templates[c]), "$" + std::to_string(++n));
    }
    sql += ")";
  }
  return sql;
}

std::string text_array(const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    if (!values[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (const char c : *values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string text_array(const std::vector<std::string>& values) {
  return text_array(std::vector<std::optional<std::string>>(values.begin(), values.end()));
}

void exec_rows(pqxx::dbtransaction& txn, const std::string& prefix,
               const std::vector<std::string>& column_templates, const std::string& suffix,
               std::size_t count, const std::function<void(std::size_t, TextParams&)>& add_row,
               const std::function<void(const pqxx::result&)>& on_result) {
  for (std::size_t first = 0; first < count; first += kRowsPerInsert) {
    const std::size_t rows = std::min(kRowsPerInsert, count - first);
    TextParams params;
    params.reserve(rows * column_templates.size());
    for (std::size_t i = first; i < first + rows; ++i) add_row(i, params);
    const std::string sql = prefix + values_rows(rows, column_templates) + suffix;
    const auto values = pqxx::prepare::make_dynamic_params(params);
    const pqxx::result result =
        rows == 1 ? exec_hot(txn, sql, values) : txn.exec_params(sql, values);
    if (on_result) on_result(result);
  }
}

std::string without_password(const std::string& url) {
  static const std::regex uri_password(R"(^([a-zA-Z]+://[^:/@]*):[^@/]*@)");
  static const std::regex keyword_password(R"(password\s*=\s*('[^']*'|\S*))");
  std::string text = std::regex_replace(url, uri_password, "$1@");
  return std::regex_replace(text, keyword_password, "password=***");
}

namespace {
// Serialises migrations across every process using the database.
constexpr std::int64_t kMigrationLockKey = 0x43686172674c6f63;  // "ChargLoc"
}  // namespace

}  // namespace postgres

namespace {

// A commit marker's id: random, so that no two groups of any process share
// one (about a few thousand markers live at once; 2^63 ids). Not a secret.
std::int64_t new_marker() {
  thread_local std::mt19937_64 random = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return static_cast<std::int64_t>(random() >> 1);  // a positive bigint
}

}  // namespace

BatchTransaction::BatchTransaction(pqxx::connection_base& connection)
    : pqxx::internal::namedclass("BatchTransaction"),
      basic_transaction(connection, "READ COMMITTED", pqxx::read_write),
      marker_(new_marker()),
      previous_marker_(static_cast<postgres::PreparingConnection&>(connection).committed_marker) {
  Begin();
}

void BatchTransaction::do_begin() {
  // The ids are numbers made here, not outside input: written into the text,
  // they let BEGIN and both statements go as one simple query (parameters
  // would need the extended protocol, a statement each).
  std::string sql = "BEGIN; ";
  if (previous_marker_)
    sql += fmt::format("DELETE FROM commit_markers WHERE id = {}; ", *previous_marker_);
  sql += fmt::format("INSERT INTO commit_markers (id) VALUES ({})", marker_);
  try {
    direct_exec(sql.c_str());
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const pqxx::failure&) {
    // The BEGIN ran but a marker statement failed (e.g. a server still
    // read-only before its promotion): the session is now inside an aborted
    // transaction block that libpqxx does not know of (its transaction never
    // began, so it sends no ROLLBACK). Left so, every later statement on the
    // connection fails "current transaction is aborted", reads included.
    try {
      direct_exec("ROLLBACK");
    } catch (const pqxx::failure&) {
      // The error below says what went wrong; a connection that cannot roll
      // back is dropped by the caller's handling of it.
    }
    throw;
  }
}

Database::Impl::Impl(std::string url_in)
    : url(std::move(url_in)),
      display_url(postgres::without_password(url)),
      origin(base::random_hex(8)) {}

Database::Impl::~Impl() = default;

bool Database::Impl::commit_batch(BatchState& batch) {
  if (!batch.open) throw std::logic_error("commit() of a write batch that is not open");
  bool committed = !batch.failed;
  if (committed && (batch.txn || !batch.deferred.empty())) {
    try {
      pqxx::dbtransaction& txn = batch_transaction(batch);
      for (auto& [type, writes] : batch.deferred) writes->flush(txn);
      // When the connection is lost during the COMMIT only the server knows
      // whether it committed, and re-running a group that did would store
      // its rows twice: the group's marker tells.
      const std::int64_t marker = batch.txn->marker();
      try {
        batch.txn->commit();
        batch.connection->committed_marker = marker;
      } catch (const pqxx::in_doubt_error&) {
        batch.drop();
        release_thread_connection();
        ++stats.connections_lost;
        committed = committed_in_doubt(marker);
      }
    } catch (const pqxx::broken_connection&) {
      committed = false;
      batch.drop();
      ++stats.errors;
      ++stats.connections_lost;
      release_thread_connection();
    } catch (const std::exception&) {
      ++stats.errors;
      committed = false;
    }
  }
  batch.drop();  // rolls back what was not committed
  batch.open = false;
  batch.failed = false;
  return committed;
}

bool Database::Impl::committed_in_doubt(std::int64_t marker) {
  const auto deadline = std::chrono::steady_clock::now() + kInDoubtPatience;
  for (;;) {
    try {
      pqxx::work txn(connection());
      // A COMMIT still in progress (the server that lost us is alive) holds
      // the marker's key: the insert below waits for it, but not forever.
      txn.exec("SET LOCAL statement_timeout = '5s'");
      txn.exec_params(
          "INSERT INTO commit_markers (id, fence) VALUES ($1, true) ON CONFLICT (id) DO NOTHING",
          marker);
      // The group's own marker (committed), or the fence (of this or an
      // earlier try whose own commit was lost): the group never committed.
      const bool fenced =
          txn.exec_params1("SELECT fence FROM commit_markers WHERE id = $1", marker)[0].as<bool>();
      txn.commit();
      std::fprintf(stderr,
                   "chargelock: database: a group commit's connection was lost during its "
                   "COMMIT; its commit marker says it %s\n",
                   fenced ? "did not commit: it runs again" : "committed");
      return !fenced;
    } catch (const std::exception&) {
      release_thread_connection();  // unreachable for now, or a standby: try again
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::fprintf(stderr,
                   "chargelock: database: the outcome of a group commit (marker %lld) is unknown "
                   "after %lld s; its work runs again and may be stored twice\n",
                   static_cast<long long>(marker),
                   static_cast<long long>(kInDoubtPatience.count()));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

pqxx::dbtransaction& Database::Impl::batch_transaction(BatchState& batch) {
  if (!batch.open) throw std::logic_error("a store of a write batch used outside the batch");
  if (batch.failed)
    throw core::DatabaseError(
        "an earlier statement of this batch failed; the batch is rolled back");
  if (!batch.txn) {
    batch.txn = begin_transaction<BatchTransaction>(&batch.connection);
    batch.connection->lent = true;
  }
  return *batch.txn;
}

template <typename Transaction>
std::unique_ptr<Transaction> Database::Impl::begin_transaction(
    std::shared_ptr<postgres::PreparingConnection>* used) {
  std::shared_ptr<postgres::PreparingConnection> connection = thread_connection();
  try {
    auto txn = std::make_unique<Transaction>(*connection);
    if (used != nullptr) *used = std::move(connection);
    return txn;
  } catch (const pqxx::failure&) {
    // A closed connection shows as broken_connection or as the server's
    // parting error (57P01 admin_shutdown); anything on a live connection
    // is a real error.
    if (connection->is_open()) throw;
  }
  ++stats.connections_lost;
  release_thread_connection();
  connection = thread_connection();
  auto txn = std::make_unique<Transaction>(*connection);
  if (used != nullptr) *used = std::move(connection);
  return txn;
}
template std::unique_ptr<pqxx::work> Database::Impl::begin_transaction<pqxx::work>(
    std::shared_ptr<postgres::PreparingConnection>*);

void Database::Impl::fail_batch(BatchState& batch) {
  batch.failed = true;
  // An aborted transaction is of no further use (commit() will say false):
  // roll it back now, before the error's handling may drop the connection.
  batch.drop();
}

void Database::Impl::rethrow_as_database_error() {
  try {
    throw;
  } catch (const core::DatabaseError&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    ++stats.errors;
    ++stats.connections_lost;
    release_thread_connection();
    throw core::DatabaseError("lost connection to database " + display_url + ": " + e.what());
  } catch (const pqxx::foreign_key_violation& e) {
    throw core::RowNotFoundError(std::string("referenced row does not exist: ") + e.what());
  } catch (const pqxx::unique_violation& e) {
    throw core::RowConflictError(std::string("row already exists: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    ++stats.errors;
    // 25P02 in_failed_sql_transaction: the session is inside an aborted
    // transaction block no transaction of ours owns (a batch that failed is
    // rolled back at once and fails its later calls without a statement).
    // Nothing on that connection would work again: drop it, the next call
    // reconnects.
    if (e.sqlstate() == "25P02") release_thread_connection();
    throw core::DatabaseError(std::string("database error: ") + e.what());
  } catch (const pqxx::failure& e) {
    ++stats.errors;
    throw core::DatabaseError(std::string("database error: ") + e.what());
  }
}

std::shared_ptr<postgres::PreparingConnection> Database::Impl::open() {
  try {
    auto opened = std::make_shared<postgres::PreparingConnection>(url);
    ++stats.connections_opened;
    return opened;
  } catch (const std::exception& e) {
    ++stats.errors;
    // libpq's message spans lines ("...: Connection refused\n\tIs the server
    // running...?"); a log line is one line.
    std::string cause;
    for (const char c : std::string(e.what())) {
      if (c == '\n' || c == '\t' || c == '\r') {
        if (!cause.empty() && cause.back() != ' ') cause += ' ';
      } else {
        cause += c;
      }
    }
    while (!cause.empty() && cause.back() == ' ') cause.pop_back();
    throw core::DatabaseError(fmt::format("cannot connect to database {}: {}", display_url, cause));
  }
}

pqxx::connection& Database::Impl::connection() { return *thread_connection(); }

std::shared_ptr<postgres::PreparingConnection> Database::Impl::thread_connection() {
  const auto me = std::this_thread::get_id();
  {
    base::MutexLock lock(mutex_);
    auto it = connections_.find(me);
    if (it != connections_.end()) {
      auto& mine = it->second;
      // Broken ones go (a batch still holding one keeps it until it ends).
      mine.erase(
          std::remove_if(mine.begin(), mine.end(), [](const auto& c) { return !c->is_open(); }),
          mine.end());
      for (const auto& connection : mine)
        if (!connection->lent) return connection;
    }
  }
  auto fresh = open();  // outside the lock: connecting may take a while
  base::MutexLock lock(mutex_);
  connections_[me].push_back(fresh);
  return fresh;
}

void Database::Impl::release_thread_connection() {
  // A batch's transaction keeps its own reference to the connection, so it
  // is closed once that transaction is gone too.
  std::vector<std::shared_ptr<postgres::PreparingConnection>> mine;
  {
    base::MutexLock lock(mutex_);
    auto it = connections_.find(std::this_thread::get_id());
    if (it == connections_.end()) return;
    mine = std::move(it->second);
    connections_.erase(it);
  }
}

Database::Database(std::string url) : impl_(std::make_unique<Impl>(std::move(url))) {
  impl_->connection();                           // fail early, with the cause, when unreachable
  const postgres::Scope alone(*impl_, nullptr);  // each call commits on its own
  impl_->charge_points = postgres::make_charge_point_store(alone);
  impl_->connectors = postgres::make_connector_store(alone);
  impl_->id_tags = postgres::make_id_tag_store(alone);
  impl_->transactions = postgres::make_transaction_store(alone);
  impl_->meter_values = postgres::make_meter_value_store(alone);
  impl_->message_log = postgres::make_message_log_store(alone);
  impl_->events = postgres::make_event_store(alone);
  impl_->commands = postgres::make_command_store(alone);
  impl_->vehicles = postgres::make_vehicle_store(alone);
  impl_->locks = postgres::make_lock_store(alone);
  impl_->notifications = postgres::make_notification_store(alone);
  impl_->webhooks = postgres::make_webhook_store(alone);
  impl_->api_tokens = postgres::make_api_token_store(alone);
  impl_->operator_queries = postgres::make_operator_query_store(alone);
  impl_->partitions = postgres::make_partition_store(alone);
}

Database::~Database() = default;

const std::string& Database::display_url() const { return impl_->display_url; }
const DatabaseStats& Database::stats() const { return impl_->stats; }
std::unique_ptr<core::BatchStores> Database::make_batch() {
  return postgres::make_batch_stores(*this);
}
void Database::release_thread_connection() { impl_->release_thread_connection(); }

core::ChargePointStore& Database::charge_points() { return *impl_->charge_points; }
core::ConnectorStore& Database::connectors() { return *impl_->connectors; }
core::IdTagStore& Database::id_tags() { return *impl_->id_tags; }
core::TransactionStore& Database::transactions() { return *impl_->transactions; }
core::MeterValueStore& Database::meter_values() { return *impl_->meter_values; }
core::MessageLogStore& Database::message_log() { return *impl_->message_log; }
core::EventStore& Database::events() { return *impl_->events; }
core::CommandStore& Database::commands() { return *impl_->commands; }
core::VehicleStore& Database::vehicles() { return *impl_->vehicles; }
core::LockStore& Database::locks() { return *impl_->locks; }
core::NotificationStore& Database::notifications() { return *impl_->notifications; }
core::WebhookStore& Database::webhooks() { return *impl_->webhooks; }
core::ApiTokenStore& Database::api_tokens() { return *impl_->api_tokens; }
core::OperatorQueryStore& Database::operator_queries() { return *impl_->operator_queries; }
core::PartitionStore& Database::partitions() { return *impl_->partitions; }

int Database::schema_version() {
  return impl_->transact(nullptr, [](pqxx::dbtransaction& txn) {
    const auto exists = txn.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0];
    if (!exists.as<bool>()) return 0;
    return txn.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
  });
}

int Database::forget_commit_markers(std::chrono::seconds older_than) {
  return impl_->transact(nullptr, [older_than](pqxx::dbtransaction& txn) {
    return txn
        .exec_params1("SELECT commit_markers_forget(make_interval(secs => $1))",
                      static_cast<double>(older_than.count()))[0]
        .as<int>();
  });
}

bool Database::accepts_writes() {
  return impl_->transact(nullptr, [](pqxx::dbtransaction& txn) {
    return !txn.exec1("SELECT pg_is_in_recovery()")[0].as<bool>();
  });
}

int Database::migrate(int up_to_version) {
  pqxx::connection& conn = impl_->connection();
  try {
    {
      pqxx::nontransaction lock(conn);
      lock.exec_params("SELECT pg_advisory_lock($1)", postgres::kMigrationLockKey);
    }
    struct Unlock {
      pqxx::connection& conn;
      ~Unlock() {
        try {
          pqxx::nontransaction unlock(conn);
          unlock.exec_params("SELECT pg_advisory_unlock($1)", postgres::kMigrationLockKey);
        } catch (...) {
          // The lock ends with the session anyway.
        }
      }
    } unlock{conn};

    {
      pqxx::work txn(conn);
      txn.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version integer PRIMARY KEY,"
          " name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      txn.commit();
    }
    int applied = 0;
    for (const Migration& migration : embedded_migrations()) {
      if (migration.version > up_to_version) break;  // sorted by version
      pqxx::work txn(conn);
      const bool done =
          !txn.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", migration.version)
               .empty();
      if (done) continue;
      try {
        txn.exec(std::string(migration.sql));
      } catch (const pqxx::sql_error& e) {
        throw core::DatabaseError(fmt::format("migration {} failed: {}", migration.name, e.what()));
      }
      txn.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                      migration.version, std::string(migration.name));
      txn.commit();
      ++applied;
    }
    return applied;
  } catch (const core::DatabaseError&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    impl_->release_thread_connection();
    throw core::DatabaseError(
        fmt::format("lost connection to database {}: {}", impl_->display_url, e.what()));
  } catch (const pqxx::failure& e) {
    throw core::DatabaseError(
        fmt::format("migrating database {} failed: {}", impl_->display_url, e.what()));
  }
}

}  // namespace chargelock::storage
