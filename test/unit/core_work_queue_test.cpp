#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "core/work_queue.h"

using chargelock::core::WorkQueue;

TEST_CASE("work for one shard key runs in submission order on one thread") {
  std::mutex mutex;
  std::vector<int> order;
  std::vector<int> workers;
  {
    WorkQueue queue(4);
    for (int i = 0; i < 200; ++i) {
      queue.submit("CP-1", [&, i] {
        std::lock_guard<std::mutex> lock(mutex);
        order.push_back(i);
        workers.push_back(WorkQueue::current_worker());
      });
    }
  }  // the destructor finishes queued work
  REQUIRE(order.size() == 200);
  for (int i = 0; i < 200; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
  for (int w : workers) CHECK(w == workers.front());
  CHECK(WorkQueue::current_worker() == -1);
}

TEST_CASE("a task that throws does not stop the worker or the process") {
  std::atomic<int> done{0};
  {
    WorkQueue queue(1);
    queue.submit("k", [] { throw std::runtime_error("boom"); });
    queue.submit("k", [] { throw 42; });
    queue.submit("k", [&] { ++done; });
  }
  CHECK(done == 1);
}

TEST_CASE("each worker runs its start hook first, once") {
  std::atomic<int> started{0};
  {
    WorkQueue queue(3, [&](std::size_t) { ++started; });
    queue.submit("a", [] {});
  }
  CHECK(started == 3);
}
