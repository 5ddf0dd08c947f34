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
// Two lanes: a task submitted in Lane::Urgent (what a person or the vehicle
// lock waits on: a pile's VehicleLocked, an Authorize) runs before the Bulk
// tasks queued on its worker (MeterValues under a flood), as soon as the
// task the worker is running ends: a Shared group being run is cut there
// (once it holds kMinGroupBeforeCut tasks; Lane::Immediate: at once) and
// committed. Order per shard key is kept: an urgent
// task whose key still has a task queued or being run in the bulk lane joins the bulk lane behind
// it (the pile's own work never reorders).
//
// The immediate worker (Options::immediate_worker): one more thread, with
// its own group commit (and, through on_thread_start, its own connection),
// runs Lane::Immediate work, so a VehicleLocked never waits for a bulk
// group's task or commit, and the shard workers may run at a lower
// scheduling priority (Options::bulk_nice) than it and the OCPP loop. Order
// per key holds across the two: an Immediate task goes there only when its
// shard worker holds nothing of its key (queued or being run, either lane),
// and while a key has work there, every later task of that key follows it
// there (its shard worker takes it back once that work is done and
// committed).
//
// Contract: submit() is thread-safe and never blocks on the work itself.
// The destructor (or stop()) finishes the work already queued, then joins.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
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
  // Immediate: as Urgent, and a Shared group being run is cut at its next
  // task, without the kMinGroupBeforeCut minimum: what a person at a pile
  // waits on (VehicleLocked, Authorize, StartTransaction; a few a second
  // across a network). Urgent keeps the minimum: the command dispatcher's
  // batches come by the thousand in a lock's fan-out.
  enum class Lane { Bulk, Urgent, Immediate };
  static constexpr std::size_t kMaxGroup = 128;
  // A Shared group runs at least this many tasks before urgent work may cut
  // it: a steady trickle of urgent tasks must not shrink every group to one
  // task (a commit per MeterValues), and urgent work waits for at most this
  // many bulk tasks (each a fraction of a millisecond).
  static constexpr std::size_t kMinGroupBeforeCut = 16;

  // Makes a worker's GroupCommit (e.g. Stores::make_batch()); each worker
  // makes one when it starts and uses it for every group it runs.
  using GroupCommitFactory = std::function<std::unique_ptr<GroupCommit>()>;

  struct Options {
    // A thread of its own for Lane::Immediate work (see above); its index
    // is size() (on_thread_start, current_worker()).
    bool immediate_worker = false;
    // Added to the shard workers' nice value (Linux: per thread) when they
    // start, so that the OCPP loop and the immediate worker get the CPU
    // first when the machine is saturated. 0: unchanged. Raising it needs
    // no privilege; the immediate worker keeps the process's.
    int bulk_nice = 0;
    // The immediate worker at this SCHED_RR priority when it starts
    // (core::run_this_thread_in_realtime; refused: a warning). 0: ordinary.
    int immediate_realtime_priority = 0;
    // The threads' names (top -H, perf): NAME-0.., NAME-immediate.
    std::string thread_name = "worker";
  };

  // `on_thread_start(i)` runs first on worker i, e.g. to open that worker's
  // database connection. Without `make_group_commit` every task runs alone.
  explicit WorkQueue(std::size_t threads,
                     std::function<void(std::size_t)> on_thread_start = nullptr,
                     GroupCommitFactory make_group_commit = nullptr);
  WorkQueue(std::size_t threads, std::function<void(std::size_t)> on_thread_start,
            GroupCommitFactory make_group_commit, Options options);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // A task that commits its own writes.
  void submit(std::string_view shard_key, Task task);
  // A task given its batch: a shared one for Commit::Shared when the worker
  // finds others queued with it, else one of its own.
  void submit(std::string_view shard_key, BatchTask task, Commit commit, Lane lane = Lane::Bulk);
  void stop();
  // The shard workers (the immediate worker not counted).
  std::size_t size() const { return workers_.size(); }

  // Index of the worker thread running the caller, or -1 off the pool.
  static int current_worker();

 private:
  struct Entry {
    BatchTask task;
    Commit commit = Commit::Own;
    std::size_t key = 0;  // hash of the shard key (equal keys, equal hashes)
  };
  struct Worker {
    base::Mutex mutex;
    base::CondVar wake{&mutex};
    std::deque<Entry> tasks GUARDED_BY(mutex);   // the bulk lane
    std::deque<Entry> urgent GUARDED_BY(mutex);  // the urgent lane
    // The keys of the bulk turn being run (taken out of `tasks`, not done).
    std::vector<std::size_t> running_keys GUARDED_BY(mutex);
    // The keys of the urgent work being run (taken out of `urgent`).
    std::vector<std::size_t> urgent_running_keys GUARDED_BY(mutex);
    // Keys of this shard with work on the immediate worker, once per task
    // there: their later tasks follow it there.
    std::vector<std::size_t> away_keys GUARDED_BY(mutex);
    // Mirrors !urgent.empty() for the worker's checks between tasks.
    std::atomic<bool> urgent_waiting{false};
    // An Immediate task is among the urgent ones: cut without the minimum.
    std::atomic<bool> cut_now{false};
    bool stopping GUARDED_BY(mutex) = false;
    std::thread thread;
  };
  void run(std::size_t index);
  void run_immediate(std::size_t index);
  // True when a task of `key` is queued or being run in the bulk lane.
  static bool bulk_holds(const Worker& worker, std::size_t key) REQUIRES(worker.mutex);
  // True when a task of `key` is queued or being run in either lane.
  static bool holds(const Worker& worker, std::size_t key) REQUIRES(worker.mutex);
  // True when work of `key` is on the immediate worker.
  static bool is_away(const Worker& worker, std::size_t key) REQUIRES(worker.mutex);
  // Runs entries [0, size) in order, Shared neighbours in groups. With
  // `yield_to`, checks it between tasks and runs the urgent lane first.
  void run_turn(std::size_t index, GroupCommit* group, std::vector<Entry>& turn, Worker* yield_to);
  // Takes and runs whatever the urgent lane holds.
  void run_urgent(std::size_t index, GroupCommit* group, Worker& worker);
  // Runs `task` guarded, handing it `batch`.
  static void run_in(std::size_t index, WriteBatch& batch, const BatchTask& task);
  static void run_alone(std::size_t index, const BatchTask& task);
  // Runs [begin, end) in one batch, ending it early (before a task) once
  // `cut` is set; returns the end of what it ran.
  static std::size_t run_group(std::size_t index, GroupCommit& group, std::vector<Entry>& turn,
                               std::size_t begin, std::size_t end, const Worker* cut);

  std::function<void(std::size_t)> on_thread_start_;
  GroupCommitFactory make_group_commit_;
  Options options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Worker> immediate_;  // with Options::immediate_worker
};

}  // namespace chargelock::core
