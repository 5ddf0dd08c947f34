#include "core/work_queue.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

#include "core/core_metrics.h"
#include "core/log.h"
#include "core/thread_setup.h"

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
    : WorkQueue(threads, std::move(on_thread_start), std::move(make_group_commit), Options{}) {}

WorkQueue::WorkQueue(std::size_t threads, std::function<void(std::size_t)> on_thread_start,
                     GroupCommitFactory make_group_commit, Options options)
    : on_thread_start_(std::move(on_thread_start)),
      make_group_commit_(std::move(make_group_commit)),
      options_(options) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
  if (options_.immediate_worker) immediate_ = std::make_unique<Worker>();
  for (std::size_t i = 0; i < threads; ++i)
    workers_[i]->thread = std::thread([this, i] { run(i); });
  if (immediate_) immediate_->thread = std::thread([this, threads] { run_immediate(threads); });
}

WorkQueue::~WorkQueue() { stop(); }

void WorkQueue::submit(std::string_view shard_key, Task task) {
  submit(
      shard_key, [task = std::move(task)](WriteBatch&) { task(); }, Commit::Own);
}

void WorkQueue::submit(std::string_view shard_key, BatchTask task, Commit commit, Lane lane) {
  const std::size_t key = std::hash<std::string_view>{}(shard_key);
  Worker& worker = *workers_[key % workers_.size()];
  bool away = false;
  {
    base::MutexLock lock(worker.mutex);
    Entry entry{std::move(task), commit, key};
    if (immediate_ != nullptr &&
        (is_away(worker, key) || (lane == Lane::Immediate && !holds(worker, key)))) {
      // Marked under the shard's mutex: no task of this key can start on
      // the shard worker until the immediate worker gives the key back.
      worker.away_keys.push_back(key);
      base::MutexLock immediate_lock(immediate_->mutex);
      immediate_->urgent.push_back(std::move(entry));
      away = true;
    } else if (lane != Lane::Bulk && !bulk_holds(worker, key)) {
      worker.urgent.push_back(std::move(entry));
      if (lane == Lane::Immediate) worker.cut_now.store(true, std::memory_order_release);
      worker.urgent_waiting.store(true, std::memory_order_release);
    } else {
      worker.tasks.push_back(std::move(entry));
    }
  }
  (away ? immediate_->wake : worker.wake).signal();
}

bool WorkQueue::bulk_holds(const Worker& worker, std::size_t key) {
  // Scans the bulk lane: an urgent submission is rare next to the bulk
  // traffic it overtakes, and a few thousand comparisons take microseconds.
  for (const Entry& entry : worker.tasks)
    if (entry.key == key) return true;
  for (const std::size_t running : worker.running_keys)
    if (running == key) return true;
  return false;
}

bool WorkQueue::is_away(const Worker& worker, std::size_t key) {
  return std::find(worker.away_keys.begin(), worker.away_keys.end(), key) != worker.away_keys.end();
}

bool WorkQueue::holds(const Worker& worker, std::size_t key) {
  if (bulk_holds(worker, key)) return true;
  for (const Entry& entry : worker.urgent)
    if (entry.key == key) return true;
  for (const std::size_t running : worker.urgent_running_keys)
    if (running == key) return true;
  return false;
}

void WorkQueue::stop() {
  // The shard workers first: what they run may still hand a task to the
  // immediate worker, which drains after them.
  for (auto& worker : workers_) {
    {
      base::MutexLock lock(worker->mutex);
      worker->stopping = true;
    }
    worker->wake.signal();
  }
  for (auto& worker : workers_)
    if (worker->thread.joinable()) worker->thread.join();
  if (immediate_ == nullptr) return;
  {
    base::MutexLock lock(immediate_->mutex);
    immediate_->stopping = true;
  }
  immediate_->wake.signal();
  if (immediate_->thread.joinable()) immediate_->thread.join();
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
  name_this_thread(fmt::format("{}-{}", options_.thread_name, index));
  if (options_.bulk_nice > 0) lower_this_thread_priority(options_.bulk_nice);
  if (on_thread_start_) on_thread_start_(index);
  // This worker's group commit, reused group after group (a database's
  // batch keeps its stores: nothing to allocate per group).
  const std::unique_ptr<GroupCommit> group = make_group_commit_ ? make_group_commit_() : nullptr;
  Worker& worker = *workers_[index];
  std::vector<Entry> turn;
  for (;;) {
    turn.clear();
    bool bulk = false;
    {
      base::MutexLock lock(worker.mutex);
      worker.running_keys.clear();  // the previous turn is done
      worker.urgent_running_keys.clear();
      while (!worker.stopping && worker.tasks.empty() && worker.urgent.empty()) worker.wake.wait();
      if (worker.tasks.empty() && worker.urgent.empty()) return;  // stopping and drained
      // The urgent lane first; else what the bulk lane holds now (bounded):
      // the Shared tasks among it form groups.
      std::deque<Entry>& lane = worker.urgent.empty() ? worker.tasks : worker.urgent;
      bulk = &lane == &worker.tasks;
      while (!lane.empty() && turn.size() < kMaxGroup) {
        (bulk ? worker.running_keys : worker.urgent_running_keys).push_back(lane.front().key);
        turn.push_back(std::move(lane.front()));
        lane.pop_front();
      }
      worker.urgent_waiting.store(!worker.urgent.empty(), std::memory_order_release);
      if (worker.urgent.empty()) worker.cut_now.store(false, std::memory_order_release);
    }
    run_turn(index, group.get(), turn, bulk ? &worker : nullptr);
  }
}

void WorkQueue::run_turn(std::size_t index, GroupCommit* group, std::vector<Entry>& turn,
                         Worker* yield_to) {
  const std::atomic<bool>* cut = yield_to != nullptr ? &yield_to->urgent_waiting : nullptr;
  std::size_t i = 0;
  while (i < turn.size()) {
    // Urgent work queued meanwhile goes first: its keys are none of this
    // turn's (see submit), so no shard's order changes.
    if (cut != nullptr && cut->load(std::memory_order_acquire)) run_urgent(index, group, *yield_to);
    std::size_t end = i + 1;
    if (group != nullptr && turn[i].commit == Commit::Shared)
      while (end < turn.size() && turn[end].commit == Commit::Shared) ++end;
    if (end - i > 1) {
      end = run_group(index, *group, turn, i, end, yield_to);
    } else {
      run_alone(index, turn[i].task);
    }
    i = end;
  }
}

void WorkQueue::run_urgent(std::size_t index, GroupCommit* group, Worker& worker) {
  std::vector<Entry> urgent;
  {
    base::MutexLock lock(worker.mutex);
    while (!worker.urgent.empty()) {
      worker.urgent_running_keys.push_back(worker.urgent.front().key);
      urgent.push_back(std::move(worker.urgent.front()));
      worker.urgent.pop_front();
    }
    worker.urgent_waiting.store(false, std::memory_order_release);
    worker.cut_now.store(false, std::memory_order_release);
  }
  run_turn(index, group, urgent, nullptr);
  base::MutexLock lock(worker.mutex);
  worker.urgent_running_keys.clear();
}

void WorkQueue::run_immediate(std::size_t index) {
  tls_worker_index = static_cast<int>(index);
  name_this_thread(options_.thread_name + "-immediate");
  if (options_.immediate_realtime_priority > 0)
    run_this_thread_in_realtime(options_.immediate_realtime_priority,
                                options_.thread_name + " immediate worker");
  if (on_thread_start_) on_thread_start_(index);
  const std::unique_ptr<GroupCommit> group = make_group_commit_ ? make_group_commit_() : nullptr;
  Worker& worker = *immediate_;
  std::vector<Entry> turn;
  for (;;) {
    turn.clear();
    {
      base::MutexLock lock(worker.mutex);
      while (!worker.stopping && worker.urgent.empty()) worker.wake.wait();
      if (worker.urgent.empty()) return;  // stopping and drained
      while (!worker.urgent.empty() && turn.size() < kMaxGroup) {
        turn.push_back(std::move(worker.urgent.front()));
        worker.urgent.pop_front();
      }
    }
    run_turn(index, group.get(), turn, nullptr);
    // Run and committed: each key's later work may run on its shard worker
    // again (none of it is queued there: it followed this work here).
    for (const Entry& entry : turn) {
      Worker& shard = *workers_[entry.key % workers_.size()];
      base::MutexLock lock(shard.mutex);
      shard.away_keys.erase(std::find(shard.away_keys.begin(), shard.away_keys.end(), entry.key));
    }
  }
}

std::size_t WorkQueue::run_group(std::size_t index, GroupCommit& group, std::vector<Entry>& turn,
                                 std::size_t begin, std::size_t end, const Worker* cut) {
  bool committed = false;
  const auto started = std::chrono::steady_clock::now();
  try {
    WriteBatch batch(&group);
    for (std::size_t i = begin; i < end; ++i) {
      // Urgent work waits for a few tasks and this commit, not the whole
      // group; Immediate work for the task being run and this commit.
      if (cut != nullptr && cut->urgent_waiting.load(std::memory_order_acquire) &&
          (i - begin >= kMinGroupBeforeCut ||
           (i > begin && cut->cut_now.load(std::memory_order_acquire)))) {
        end = i;
        break;
      }
      run_in(index, batch, turn[i].task);
    }
    committed = batch.commit(
        [index](const std::function<void()>& callback) { run_guarded(index, callback); });
  } catch (...) {
    // begin() or commit() threw: the batch rolled back (its destructor).
  }
  CoreMetrics& metrics = core_metrics();
  metrics.group_commit_size.observe(static_cast<double>(end - begin));
  metrics.group_commit_seconds.observe(std::chrono::steady_clock::now() - started);
  if (committed) return end;
  metrics.group_commit_failures.add();
  // Nothing of the group is durable: each task again, committing on its own.
  for (std::size_t i = begin; i < end; ++i) run_alone(index, turn[i].task);
  return end;
}

}  // namespace chargelock::core
