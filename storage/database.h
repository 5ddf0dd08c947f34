// The PostgreSQL database: connection per calling thread, migrations, and
// the stores (narrow interfaces, see *_store.h).
//
// Threading contract: every method and every store is safe to call from any
// number of threads at once. Each calling thread gets its own connection,
// opened on first use and kept until release_thread_connection() or the
// Database's destruction; calls block on the database, so they belong on
// worker threads (never on the websocket loop). A connection that breaks is
// dropped and reopened by the next call on that thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace chargelock::storage {

class ChargePointStore;
class ConnectorStore;
class IdTagStore;
class TransactionStore;
class MeterValueStore;
class MessageLogStore;
class EventStore;
class CommandStore;
class VehicleStore;
class LockStore;
class NotificationStore;
class WebhookStore;

// What the connections went through, for /metrics (relaxed atomics; read
// from any thread).
struct DatabaseStats {
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> connections_lost{0};  // broken, dropped, reopened on next use
  std::atomic<std::uint64_t> errors{0};            // statements or connects that failed
};

class Database {
 public:
  // Opens a first connection to `url` (a libpq URI or key=value string) to
  // check that the database is reachable. Throws DatabaseError naming the
  // cause (e.g. "cannot connect to database postgresql://u@host:5432/db:
  // connection refused"); the password of the URL is never repeated.
  explicit Database(std::string url);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Applies every embedded migration not yet recorded in schema_migrations,
  // each in its own transaction, in version order. Serialised across
  // processes with a PostgreSQL advisory lock, so concurrent starters are
  // safe; applying twice is a no-op. Returns the number applied now.
  int migrate();

  // Highest applied migration version (0 for an empty database).
  int schema_version();

  // Closes the calling thread's connection, if any (call when a worker
  // thread ends).
  void release_thread_connection();

  // Group commit for the calling thread. Between begin_batch() and
  // commit_batch() every store call made on this thread runs inside one
  // shared transaction instead of committing on its own, so many small
  // writes (one per OCPP message) cost one commit. Nothing written in the
  // batch is durable, nor visible to other connections, before
  // commit_batch() returns true: report results only after it. A store call
  // that fails marks the batch failed (the caller still sees its exception)
  // and every later call in it fails at once; commit_batch() then rolls the
  // whole batch back and returns false, as it does when the commit itself
  // fails. The caller re-runs the batch's work one call at a time.
  // abort_batch() rolls back. One batch per thread at a time: a nested
  // begin_batch() joins the open one (its commit_batch() only says whether
  // the batch is still good; the outermost commit decides). Connector
  // states and meter values are buffered and written as multi-row
  // statements at the commit, so a later call in the same batch does not
  // read them back (and their errors show as a failed commit).
  void begin_batch();
  bool commit_batch();
  void abort_batch();

  const DatabaseStats& stats() const;

  // The URL without its password, for messages.
  const std::string& display_url() const;

  ChargePointStore& charge_points();
  ConnectorStore& connectors();
  IdTagStore& id_tags();
  TransactionStore& transactions();
  MeterValueStore& meter_values();
  MessageLogStore& message_log();
  EventStore& events();
  CommandStore& commands();
  VehicleStore& vehicles();
  LockStore& locks();
  NotificationStore& notifications();
  WebhookStore& webhooks();

  // Implementation detail of storage/postgres; opaque to every other module.
  class Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::storage
