// app::MemoryTrimmer: trims at every interval on its own thread, and a
// stopping program does not wait for the next interval.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "app/memory_trimmer.h"

using chargelock::app::MemoryTrimmer;
using namespace std::chrono_literals;

TEST_CASE("the memory trimmer trims at every interval until it is destroyed") {
  std::mutex mutex;
  std::condition_variable trimmed;
  int trims = 0;
  {
    MemoryTrimmer trimmer(10ms, [&] {
      std::lock_guard<std::mutex> lock(mutex);
      ++trims;
      trimmed.notify_all();
    });
    std::unique_lock<std::mutex> lock(mutex);
    CHECK(trimmed.wait_for(lock, 10s, [&] { return trims >= 3; }));
  }
  std::lock_guard<std::mutex> lock(mutex);
  const int after_destruction = trims;
  CHECK(after_destruction >= 3);
}

TEST_CASE("the memory trimmer's destructor does not wait for the next interval") {
  std::atomic<int> trims{0};
  const auto start = std::chrono::steady_clock::now();
  {
    MemoryTrimmer trimmer(1h, [&] { ++trims; });
  }
  // Hanging for the hour would fail the test by its timeout; anything
  // near it is a defect too.
  CHECK(std::chrono::steady_clock::now() - start < 30s);
  CHECK(trims == 0);
}
