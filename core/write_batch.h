// A write batch: several units of work that share one database commit, as an
// object the work is given (as LevelDB's WriteBatch / BuildBatchGroup). The
// WorkQueue opens one for the Shared tasks a worker finds queued together
// and passes it to each of them; run_grouped() below opens one for a single
// piece of work (the lock's fan-out to thousands of piles).
//
// Which writes share the commit is explicit at each call site: a write
// shares it when it goes through a store reached FROM the batch
// (batch.store(&Stores::connectors, connectors_), or a service method given
// the batch), and no other does; nothing joins the transaction silently.
// What a task may do only once its writes are durable (answer the pile,
// tell a live stream) it gives to after_commit().
//
// A batch over a GroupCommit holds its transaction from construction to
// commit()/abort(). A batch without one (WriteBatch::alone()) has no shared
// transaction: its store() is the caller's own store, each write commits on
// its own and after_commit() runs its callback at once.
//
// Thread contract: a batch belongs to the thread that made it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/group_commit.h"
#include "core/stores/stores.h"

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

  // True when the batch's writes share one transaction (over a GroupCommit).
  bool grouped() const { return group_ != nullptr; }

  // The store to write through in this batch: `which` of the batch's
  // transaction when the group has stores, else `own` (the caller's plain
  // store, whose every call commits on its own). A plain pointer test and
  // one accessor call: no allocation.
  // REQUIRES: before commit()/abort() when grouped.
  template <typename Store>
  Store& store(Store& (Stores::*which)(), Store& own) const {
    return stores_ != nullptr ? (stores_->*which)() : own;
  }

  // Runs `callback` once the batch's writes are durable: at once without a
  // group, after commit() with one; dropped when the batch does not commit
  // (the work is then run again and registers it again).
  void after_commit(std::function<void()> callback);

  // Work done once for the whole batch, just before its commit and in its
  // transaction, for every task that asked: what a service can do for many
  // piles in a few statements but would otherwise do pile by pile inside
  // each task (the vehicle lock re-arming the piles a boot storm's group
  // booted: ~10 statements a pile and lock, instead a few a group). The
  // first call with `key` (any address the caller owns, naming the work)
  // registers `flush`; each call adds `item` to the list it is handed
  // (duplicates kept, order of the calls). Without a group, `flush` runs at
  // once with this one item. A flush may defer more work (run after it).
  // Should a flush throw, the batch does not commit (commit() throws: the
  // group is rolled back and each task runs again alone).
  using Flush = std::function<void(WriteBatch& batch, const std::vector<std::string>& items)>;
  void before_commit(const void* key, std::string item, const Flush& flush);

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
  Stores* stores_;  // the group's stores (null: alone, or a group over no database)
  bool open_;
  std::vector<std::function<void()>> callbacks_;
  struct Deferred {
    const void* key;
    Flush flush;
    std::vector<std::string> items;
  };
  std::vector<Deferred> deferred_;  // in the order of their first call
};

// Runs `work(WriteBatch&)` in one batch over `group` (one commit) when
// `group` is set; when it does not commit, runs `work` again with a batch
// alone, each write committing by itself. `work` must have no effect outside
// the database before after_commit(), and must not throw for anything but a
// failed write (the batch is then rolled back and the exception passed on).
template <typename Work>
void run_grouped(GroupCommit* group, const Work& work) {
  if (group != nullptr) {
    WriteBatch batch(group);
    work(batch);
    if (batch.commit()) return;
  }
  WriteBatch alone = WriteBatch::alone();
  work(alone);
}

}  // namespace chargelock::core
