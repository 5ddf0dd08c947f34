#include "core/work_queue.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <exception>

#include "core/core_metrics.h"
#include "core/log.h"

namespace chargelock::core {

namespace {

thread_local int tls_worker_index = -1;

// A task that throws must not take the process down with it (an escaping
// exception would call std::terminate); callers report their own errors,
// this is the last line of defence.
template <typename F>
void run_guarded(std::size_t index, const F& f) {
  try {
    f();
  } catch (const std::exception& error) {
    log(LogLevel::Error, "unhandled_error",
        fmt::format("chargelock: worker {}: unhandled error: {}", index, error.what()));
  } catch (...) {
    log(LogLevel::Error, "unhandled_error",
        fmt::format("chargelock: worker {}: unhandled error", index));
  }
}

}  // namespace

WorkQueue::WorkQueue(std::size_t threads, std::function<void(std::size_t)> on_thread_start,
                     GroupCommitFactory make_group_commit)
    : on_thread_start_(std::move(on_thread_start)),
      make_group_commit_(std::move(make_group_commit)) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
  for (std::size_t i = 0; i < threads; ++i)
    workers_[i]->thread = std::thread([this, i] { run(i); });
}

WorkQueue::~WorkQueue() { stop(); }

void WorkQueue::submit(std::string_view shard_key, Task task) {
  submit(
      shard_key, [task = std::move(task)](WriteBatch&) { task(); }, Commit::Own);
}

void WorkQueue::submit(std::string_view shard_key, BatchTask task, Commit commit) {
  const std::size_t index = std::hash<std::string_view>{}(shard_key) % workers_.size();
  Worker& worker = *workers_[index];
  {
    base::MutexLock lock(worker.mutex);
    worker.tasks.push_back(Entry{std::move(task), commit});
  }
  worker.wake.signal();
}

void WorkQueue::stop() {
  for (auto& worker : workers_) {
    {
      base::MutexLock lock(worker->mutex);
      worker->stopping = true;
    }
    worker->wake.signal();
  }
  for (auto& worker : workers_)
    if (worker->thread.joinable()) worker->thread.join();
}

int WorkQueue::current_worker() { return tls_worker_index; }

void WorkQueue::run_in(std::size_t index, WriteBatch& batch, const BatchTask& task) {
  run_guarded(index, [&] { task(batch); });
}

void WorkQueue::run_alone(std::size_t index, const BatchTask& task) {
  WriteBatch alone = WriteBatch::alone();
  run_in(index, alone, task);
}

void WorkQueue::run(std::size_t index) {
  tls_worker_index = static_cast<int>(index);
  if (on_thread_start_) on_thread_start_(index);
  // This worker's group commit, reused group after group (a database's
  // batch keeps its stores: nothing to allocate per group).
  const std::unique_ptr<GroupCommit> group = make_group_commit_ ? make_group_commit_() : nullptr;
  Worker& worker = *workers_[index];
  std::vector<Entry> turn;
  for (;;) {
    turn.clear();
    {
      base::MutexLock lock(worker.mutex);
      while (!worker.stopping && worker.tasks.empty()) worker.wake.wait();
      if (worker.tasks.empty()) return;  // stopping and drained
      // Take what is queued now (bounded): the Shared tasks among it form groups.
      while (!worker.tasks.empty() && turn.size() < kMaxGroup) {
        turn.push_back(std::move(worker.tasks.front()));
        worker.tasks.pop_front();
      }
    }
    std::size_t i = 0;
    while (i < turn.size()) {
      std::size_t end = i + 1;
      if (group != nullptr && turn[i].commit == Commit::Shared)
        while (end < turn.size() && turn[end].commit == Commit::Shared) ++end;
      if (end - i > 1)
        run_group(index, *group, turn, i, end);
      else
        run_alone(index, turn[i].task);
      i = end;
    }
  }
}

void WorkQueue::run_group(std::size_t index, GroupCommit& group, std::vector<Entry>& turn,
                          std::size_t begin, std::size_t end) {
  bool committed = false;
  const auto started = std::chrono::steady_clock::now();
  try {
    WriteBatch batch(&group);
    for (std::size_t i = begin; i < end; ++i) run_in(index, batch, turn[i].task);
    committed = batch.commit(
        [index](const std::function<void()>& callback) { run_guarded(index, callback); });
  } catch (...) {
    // begin() or commit() threw: the batch rolled back (its destructor).
  }
  CoreMetrics& metrics = core_metrics();
  metrics.group_commit_size.observe(static_cast<double>(end - begin));
  metrics.group_commit_seconds.observe(std::chrono::steady_clock::now() - started);
  if (committed) return;
  metrics.group_commit_failures.add();
  // Nothing of the group is durable: each task again, committing on its own.
  for (std::size_t i = begin; i < end; ++i) run_alone(index, turn[i].task);
}

}  // namespace chargelock::core
