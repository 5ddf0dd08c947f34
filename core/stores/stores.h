// Every store of the domain, and the transaction scope they share (group
// commit). The one port through which core reaches its persistence;
// storage/ implements it (storage::Database, PostgreSQL), the app wires it.
//
// Threading contract (of every implementation): every method and every
// store is safe to call from any number of threads at once. Calls block on
// the database, so they belong on worker threads (never on a websocket
// loop).
#pragma once

namespace chargelock::core {

class ApiTokenStore;
class ChargePointStore;
class CommandStore;
class ConnectorStore;
class EventStore;
class IdTagStore;
class LockStore;
class MessageLogStore;
class MeterValueStore;
class NotificationStore;
class OperatorQueryStore;
class TransactionStore;
class VehicleStore;
class WebhookStore;

class Stores {
 public:
  virtual ~Stores() = default;

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
  virtual void begin_batch() = 0;
  virtual bool commit_batch() = 0;
  virtual void abort_batch() = 0;

  // Releases what the calling thread holds (its database connection); call
  // when a worker thread ends.
  virtual void release_thread_connection() = 0;

  // True when the calling thread's connection works and the database takes
  // writes (a primary, not a standby in recovery: behind a failover proxy a
  // demoted primary may still answer). Throws DatabaseError when it cannot be
  // reached. Read-only: never waits on synchronous replication.
  virtual bool accepts_writes() = 0;

  virtual ChargePointStore& charge_points() = 0;
  virtual ConnectorStore& connectors() = 0;
  virtual IdTagStore& id_tags() = 0;
  virtual TransactionStore& transactions() = 0;
  virtual MeterValueStore& meter_values() = 0;
  virtual MessageLogStore& message_log() = 0;
  virtual EventStore& events() = 0;
  virtual CommandStore& commands() = 0;
  virtual VehicleStore& vehicles() = 0;
  virtual LockStore& locks() = 0;
  virtual NotificationStore& notifications() = 0;
  virtual WebhookStore& webhooks() = 0;
  virtual ApiTokenStore& api_tokens() = 0;
  virtual OperatorQueryStore& operator_queries() = 0;
};

}  // namespace chargelock::core
