// A write batch: several units of work that share one database commit, as an
// object the work is given (as LevelDB's WriteBatch / BuildBatchGroup). The
// WorkQueue opens one for the Shared tasks a worker finds queued together
// and passes it to each of them, so a reader sees which writes share a
// commit: those of the tasks handed the same WriteBatch. What a task may do
// only once its writes are durable (answer the pile, tell a live stream) it
// gives to after_commit().
//
// A batch over a GroupCommit holds its transaction from construction to
// commit()/abort(): the store calls made meanwhile on the constructing
// thread write into it (core::Stores::begin_batch()). A batch without
// one (WriteBatch::alone()) has no shared transaction: each write commits on
// its own and after_commit() runs its callback at once.
//
// Thread contract: a batch belongs to the thread that made it.
#pragma once

#include <functional>
#include <vector>

#include "core/group_commit.h"

namespace chargelock::core {

class WriteBatch {
 public:
  // Opens a batch on `group` (begin()); null: a batch of one write at a time.
  explicit WriteBatch(GroupCommit* group);
  // Rolls back what was neither committed nor aborted (an exception left).
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  // Writes commit one by one; callbacks run at once.
  static WriteBatch alone() { return WriteBatch(nullptr); }

  // Runs `callback` once the batch's writes are durable: at once without a
  // group, after commit() with one; dropped when the batch does not commit
  // (the work is then run again and registers it again).
  void after_commit(std::function<void()> callback);

  // REQUIRES: neither commit() nor abort() called before.
  // True when everything written in the batch is durable; the callbacks of
  // after_commit() have then run, in order (each guarded by `guard`, e.g.
  // to log what it throws). False: all of it was rolled back, callbacks
  // dropped.
  bool commit(const std::function<void(const std::function<void()>&)>& guard = nullptr);
  // Rolls back; callbacks dropped.
  void abort();

 private:
  GroupCommit* group_;
  bool open_;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace chargelock::core
