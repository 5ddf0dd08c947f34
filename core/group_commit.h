// Group commit: many small writes of one thread in one database commit.
// This is the hook on the database (core::BatchStores, core/stores/stores.h,
// is the one on core::Stores); code sees the commit it shares as a
// core::WriteBatch (core/write_batch.h), which the WorkQueue hands to the
// tasks of a group and run_grouped() to its work.
#pragma once

namespace chargelock::core {

class Stores;

// What a worker calls around a group of Shared tasks (one database
// transaction). One object serves one group after the other, on one thread
// at a time.
class GroupCommit {
 public:
  virtual ~GroupCommit() = default;
  // REQUIRES: not open (the previous group committed or was aborted).
  virtual void begin() = 0;
  // True when everything the group wrote is now durable; false when it was
  // rolled back instead (something in it failed, or the commit did).
  virtual bool commit() = 0;
  // Rolls back (after an unexpected exception between begin and commit).
  virtual void abort() = 0;
  // The stores that write into the open group's transaction; null for a
  // group over no database (tests).
  virtual Stores* stores() { return nullptr; }
};

}  // namespace chargelock::core
