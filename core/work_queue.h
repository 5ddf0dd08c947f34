// A fixed pool of worker threads, each draining its own FIFO queue. Work is
// sharded by key so that everything for one charge point runs in order on
// one thread, while different charge points proceed in parallel.
//
// Contract: submit() is thread-safe and never blocks on the work itself.
// The destructor (or stop()) finishes the work already queued, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace chargelock::core {

class WorkQueue {
 public:
  // `on_thread_start(i)` runs first on worker i, e.g. to open that worker's
  // database connection.
  using Task = std::function<void()>;
  explicit WorkQueue(std::size_t threads,
                     std::function<void(std::size_t)> on_thread_start = nullptr);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void submit(std::string_view shard_key, Task task);
  void stop();
  std::size_t size() const { return workers_.size(); }

  // Index of the worker thread running the caller, or -1 off the pool.
  static int current_worker();

 private:
  struct Worker {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Task> tasks;
    bool stopping = false;
    std::thread thread;
  };
  void run(std::size_t index);

  std::function<void(std::size_t)> on_thread_start_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace chargelock::core
