// The PostgreSQL database: core's stores (core/stores/stores.h) over a
// connection per calling thread, and the migrations. The one way stores are
// created: the app opens a Database and hands it to core as core::Stores.
//
// Threading contract: every method and every store is safe to call from any
// number of threads at once. Each calling thread gets its own connection,
// opened on first use and kept until release_thread_connection() or the
// Database's destruction; calls block on the database, so they belong on
// worker threads (never on the websocket loop). A connection that breaks is
// dropped and reopened by the next call on that thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "core/stores/stores.h"

namespace chargelock::storage {

// What the connections went through, for /metrics (relaxed atomics; read
// from any thread).
struct DatabaseStats {
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> connections_lost{0};  // broken, dropped, reopened on next use
  std::atomic<std::uint64_t> errors{0};            // statements or connects that failed
};

class Database final : public core::Stores {
 public:
  // Opens a first connection to `url` (a libpq URI or key=value string) to
  // check that the database is reachable. Throws core::DatabaseError naming
  // the cause (e.g. "cannot connect to database postgresql://u@host:5432/db:
  // connection refused"); the password of the URL is never repeated.
  explicit Database(std::string url);
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Applies every embedded migration not yet recorded in schema_migrations,
  // each in its own transaction, in version order. Serialised across
  // processes with a PostgreSQL advisory lock, so concurrent starters are
  // safe; applying twice is a no-op. Returns the number applied now.
  // With `up_to_version`, stops after that version (tests building a
  // database as an older release left it).
  int migrate(int up_to_version = std::numeric_limits<int>::max());

  // Highest applied migration version (0 for an empty database).
  int schema_version();

  // True when the calling thread's connection works and the server takes
  // writes (a primary, not a standby in recovery: behind a failover proxy a
  // demoted primary may still answer). Throws DatabaseError when the
  // database cannot be reached. A read-only statement: never waits on
  // synchronous replication.
  bool accepts_writes() override;

  // Deletes the commit markers (migration 0012) written more than
  // `older_than` ago: those a closed connection or an in-doubt commit left
  // behind. Any process may run it at any time; returns how many went.
  int forget_commit_markers(std::chrono::seconds older_than);

  // Closes the calling thread's connection, if any (call when a worker
  // thread ends).
  void release_thread_connection() override;

  // A write batch whose stores write into one transaction (core::BatchStores).
  std::unique_ptr<core::BatchStores> make_batch() override;

  const DatabaseStats& stats() const;

  // The URL without its password, for messages.
  const std::string& display_url() const;

  core::ChargePointStore& charge_points() override;
  core::ConnectorStore& connectors() override;
  core::IdTagStore& id_tags() override;
  core::TransactionStore& transactions() override;
  core::MeterValueStore& meter_values() override;
  core::MessageLogStore& message_log() override;
  core::EventStore& events() override;
  core::CommandStore& commands() override;
  core::VehicleStore& vehicles() override;
  core::LockStore& locks() override;
  core::NotificationStore& notifications() override;
  core::WebhookStore& webhooks() override;
  core::ApiTokenStore& api_tokens() override;
  core::OperatorQueryStore& operator_queries() override;
  core::PartitionStore& partitions() override;

  // Implementation detail of storage/postgres; opaque to every other module.
  class Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chargelock::storage
