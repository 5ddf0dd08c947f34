#include "core/work_queue.h"

#include <cstdio>
#include <exception>

namespace chargelock::core {

namespace {
thread_local int tls_worker_index = -1;
}

WorkQueue::WorkQueue(std::size_t threads, std::function<void(std::size_t)> on_thread_start)
    : on_thread_start_(std::move(on_thread_start)) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
  for (std::size_t i = 0; i < threads; ++i)
    workers_[i]->thread = std::thread([this, i] { run(i); });
}

WorkQueue::~WorkQueue() { stop(); }

void WorkQueue::submit(std::string_view shard_key, Task task) {
  const std::size_t index = std::hash<std::string_view>{}(shard_key) % workers_.size();
  Worker& worker = *workers_[index];
  {
    std::lock_guard<std::mutex> lock(worker.mutex);
    worker.tasks.push_back(std::move(task));
  }
  worker.wake.notify_one();
}

void WorkQueue::stop() {
  for (auto& worker : workers_) {
    {
      std::lock_guard<std::mutex> lock(worker->mutex);
      worker->stopping = true;
    }
    worker->wake.notify_one();
  }
  for (auto& worker : workers_)
    if (worker->thread.joinable()) worker->thread.join();
}

int WorkQueue::current_worker() { return tls_worker_index; }

void WorkQueue::run(std::size_t index) {
  tls_worker_index = static_cast<int>(index);
  if (on_thread_start_) on_thread_start_(index);
  Worker& worker = *workers_[index];
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(worker.mutex);
      worker.wake.wait(lock, [&] { return worker.stopping || !worker.tasks.empty(); });
      if (worker.tasks.empty()) return;  // stopping and drained
      task = std::move(worker.tasks.front());
      worker.tasks.pop_front();
    }
    // A task that throws must not take the process down with it (an escaping
    // exception would call std::terminate); callers report their own errors,
    // this is the last line of defence.
    try {
      task();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "chargelock: worker %zu: unhandled error: %s\n", index, error.what());
    } catch (...) {
      std::fprintf(stderr, "chargelock: worker %zu: unhandled error\n", index);
    }
  }
}

}  // namespace chargelock::core
