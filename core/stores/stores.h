// Every store of the domain, and the write batches that group their writes
// into one commit (group commit). The one port through which core reaches
// its persistence; storage/ implements it (storage::Database, PostgreSQL),
// the app wires it.
//
// Two ways to write, chosen at the call site:
// - through a plain Stores (the database's own): every store call runs in a
//   transaction of its own and is durable when it returns;
// - through a BatchStores (make_batch(), reached in core as
//   WriteBatch::stores()): every store call reached FROM the batch writes
//   into the batch's one transaction, durable only once commit() returns
//   true. Nothing else joins it: a call through the plain Stores on the same
//   thread meanwhile commits on its own.
//
// Threading contract (of every implementation): every method of a plain
// Stores and its stores is safe to call from any number of threads at once.
// A BatchStores and the stores reached from it belong to one thread at a
// time (the one that calls begin()). Calls block on the database, so they
// belong on worker threads (never on a websocket loop).
#pragma once

#include <memory>

#include "core/group_commit.h"

namespace chargelock::core {

class BatchStores;

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
class PartitionStore;
class TransactionStore;
class VehicleStore;
class WebhookStore;

class Stores {
 public:
  virtual ~Stores() = default;

  // A new write batch on this database (closed: begin() opens it), for the
  // calling thread. Made once and reused batch after batch (a WorkQueue
  // worker keeps one). See BatchStores.
  virtual std::unique_ptr<BatchStores> make_batch() = 0;

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
  virtual PartitionStore& partitions() = 0;
};

// The stores of one write batch: between begin() and commit()/abort()
// every call through these stores runs inside the batch's one transaction,
// so many small writes (one per OCPP message) cost one commit. Nothing
// written in the batch is durable, nor visible to other connections,
// before commit() returns true: report results only after it. A store call
// that fails fails the batch (the caller still sees its exception) and
// every later call in it fails at once; commit() then rolls the whole batch
// back and returns false, as it does when the commit itself fails (a
// connection lost during the COMMIT is settled by asking the database
// whether the transaction committed). The caller re-runs the batch's work
// one call at a time through the plain stores. abort() rolls back. Batches
// do not nest: begin() on an open batch throws std::logic_error, and so
// does a store call of a closed one. Connector states and meter values are
// buffered and written as multi-row statements at the commit, so a later
// call in the same batch does not read them back (and their errors show as
// a failed commit). make_batch(), accepts_writes() and
// release_thread_connection() are the database's, as on the plain Stores.
class BatchStores : public Stores, public GroupCommit {
 public:
  Stores* stores() override { return this; }
};

}  // namespace chargelock::core
