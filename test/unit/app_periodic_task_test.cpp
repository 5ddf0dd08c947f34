// app::PeriodicTask: a task that asks to run at start runs before the first
// interval has passed, and its thread's exit hook runs once, after the last
// run (the message log upkeep releases its database connection there).
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "app/periodic_task.h"

using chargelock::app::PeriodicTask;
using namespace std::chrono_literals;

TEST_CASE("a periodic task asked to run at start runs at once, then the exit hook once") {
  std::mutex mutex;
  std::condition_variable ran;
  int runs = 0;
  std::atomic<int> exits{0};
  std::atomic<int> runs_at_exit{-1};
  {
    PeriodicTask task(
        1h,
        [&] {
          std::lock_guard<std::mutex> lock(mutex);
          ++runs;
          ran.notify_all();
        },
        PeriodicTask::FirstRun::AtStart,
        [&] {
          std::lock_guard<std::mutex> lock(mutex);
          runs_at_exit = runs;
          ++exits;
        });
    std::unique_lock<std::mutex> lock(mutex);
    CHECK(ran.wait_for(lock, 10s, [&] { return runs == 1; }));
  }
  CHECK(exits == 1);
  CHECK(runs_at_exit == 1);  // no run after the hook
}

TEST_CASE("a periodic task that waits for its interval does not run before it") {
  std::atomic<int> runs{0};
  std::atomic<int> exits{0};
  {
    PeriodicTask task(
        1h, [&] { ++runs; }, PeriodicTask::FirstRun::AfterInterval, [&] { ++exits; });
  }
  CHECK(runs == 0);
  CHECK(exits == 1);
}
