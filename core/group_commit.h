// Group commit: many small writes of one thread in one database commit.
// This is the hook on the database (core::DatabaseGroupCommit is the one on
// core::Stores); code sees the commit it shares as a core::WriteBatch
// (core/write_batch.h), which the WorkQueue hands to the tasks of a group.
// The lock's fan-out to thousands of piles uses run_grouped() below.
#pragma once

namespace chargelock::core {

// What a worker calls around a group of Shared tasks (e.g. one database
// transaction, see Stores::begin_batch()). Called on the worker.
class GroupCommit {
 public:
  virtual ~GroupCommit() = default;
  virtual void begin() = 0;
  // True when everything the group wrote is now durable; false when it was
  // rolled back instead (something in it failed, or the commit did).
  virtual bool commit() = 0;
  // Rolls back (after an unexpected exception between begin and commit).
  virtual void abort() = 0;
};

// Runs `work` in one group (one commit) when `group` is set; when the group
// does not commit, runs `work` again on its own, each write committing by
// itself. `work` must have no effect outside the database, and must not
// throw for anything but a failed write (the group is then rolled back and
// the exception passed on).
template <typename Work>
void run_grouped(GroupCommit* group, const Work& work) {
  if (group == nullptr) {
    work();
    return;
  }
  group->begin();
  bool committed = false;
  try {
    work();
    committed = group->commit();
  } catch (...) {
    group->abort();
    throw;
  }
  if (!committed) work();
}

}  // namespace chargelock::core
