// A fixed pool of worker threads, each draining its own FIFO queue. Work is
// sharded by key so that everything for one charge point runs in order on
// one thread, while different charge points proceed in parallel.
//
// Group commit: a task submitted with Commit::Shared may share one database
// commit with the other Shared tasks its worker finds queued at the same
// time (up to kMaxGroup): the worker opens one WriteBatch for them and hands
// it to each (see core/write_batch.h); the task's writes share the commit
// when they go through that batch. Such a task reports its outcome only
// through its batch's after_commit(), which runs the callback once the
// group's writes are durable. When the group cannot commit, every task of it
// runs again on its own, with a batch of its own (so a Shared task must be
// safe to re-run: no effect outside the database before after_commit()).
// Tasks keep their order: an Own task between Shared ones ends the group
// before it. An Own task, or a Shared one alone, gets WriteBatch::alone().
//
// Contract: submit() is thread-safe and never blocks on the work itself.
// The destructor (or stop()) finishes the work already queued, then joins.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "core/group_commit.h"
#include "core/write_batch.h"

namespace chargelock::core {

class WorkQueue {
 public:
  using Task = std::function<void()>;
  // A task that writes in the batch it is given.
  using BatchTask = std::function<void(WriteBatch& batch)>;
  enum class Commit { Own, Shared };
  static constexpr std::size_t kMaxGroup = 128;

  // Makes a worker's GroupCommit (e.g. Stores::make_batch()); each worker
  // makes one when it starts and uses it for every group it runs.
  using GroupCommitFactory = std::function<std::unique_ptr<GroupCommit>()>;

  // `on_thread_start(i)` runs first on worker i, e.g. to open that worker's
  // database connection. Without `make_group_commit` every task runs alone.
  explicit WorkQueue(std::size_t threads,
                     std::function<void(std::size_t)> on_thread_start = nullptr,
                     GroupCommitFactory make_group_commit = nullptr);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // A task that commits its own writes.
  void submit(std::string_view shard_key, Task task);
  // A task given its batch: a shared one for Commit::Shared when the worker
  // finds others queued with it, else one of its own.
  void submit(std::string_view shard_key, BatchTask task, Commit commit);
  void stop();
  std::size_t size() const { return workers_.size(); }

  // Index of the worker thread running the caller, or -1 off the pool.
  static int current_worker();

 private:
  struct Entry {
    BatchTask task;
    Commit commit = Commit::Own;
  };
  struct Worker {
    base::Mutex mutex;
    base::CondVar wake{&mutex};
    std::deque<Entry> tasks GUARDED_BY(mutex);
    bool stopping GUARDED_BY(mutex) = false;
    std::thread thread;
  };
  void run(std::size_t index);
  // Runs `task` guarded, handing it `batch`.
  static void run_in(std::size_t index, WriteBatch& batch, const BatchTask& task);
  static void run_alone(std::size_t index, const BatchTask& task);
  static void run_group(std::size_t index, GroupCommit& group, std::vector<Entry>& turn,
                        std::size_t begin, std::size_t end);

  std::function<void(std::size_t)> on_thread_start_;
  GroupCommitFactory make_group_commit_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace chargelock::core
