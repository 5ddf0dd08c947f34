// core::ReadinessProbe: what GET /readyz reports, driven by a fake check and
// a fake clock (the probe thread is real).
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "core/readiness.h"
#include "test/support/eventually.h"

using namespace chargelock::core;
using namespace std::chrono_literals;

namespace {

// Polled every millisecond: the probe's states may last only a few.
template <typename F>
bool eventually(F condition) {
  return chargelock::test::eventually(condition, 5000ms, 1ms);
}

struct FakeClock {
  std::atomic<std::int64_t> ms{1'000'000};
  ReadinessProbe::Clock function() {
    return [this] { return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms)); };
  }
};

ReadinessProbe::Options fast(FakeClock& clock) {
  ReadinessProbe::Options options;
  options.interval = 2ms;
  options.stale_after = 3000ms;
  options.clock = clock.function();
  return options;
}

}  // namespace

TEST_CASE("readiness: ready while the database check passes, not ready once it fails") {
  FakeClock clock;
  std::atomic<bool> database_up{true};
  ReadinessProbe probe([&] { return database_up.load(); }, fast(clock));
  REQUIRE(eventually([&] { return probe.ready(); }));

  database_up = false;
  CHECK(eventually([&] { return !probe.ready(); }));

  database_up = true;
  CHECK(eventually([&] { return probe.ready(); }));
}

TEST_CASE("readiness: a check that throws (database unreachable) means not ready") {
  FakeClock clock;
  std::atomic<bool> reachable{true};
  ReadinessProbe probe(
      [&] {
        if (!reachable) throw std::runtime_error("cannot connect to database: connection refused");
        return true;
      },
      fast(clock));
  REQUIRE(eventually([&] { return probe.ready(); }));
  reachable = false;
  CHECK(eventually([&] { return !probe.ready(); }));
}

TEST_CASE("readiness: a check stuck on a silent database stops being ready after stale_after") {
  FakeClock clock;
  std::atomic<bool> hang{false};
  std::atomic<bool> release{false};
  std::atomic<int> hanging{0};
  ReadinessProbe probe(
      [&] {
        if (hang) {
          ++hanging;
          while (!release) std::this_thread::sleep_for(1ms);  // a stuck check, not a test's wait
        }
        return true;
      },
      fast(clock));
  REQUIRE(eventually([&] { return probe.ready(); }));

  hang = true;
  REQUIRE(eventually([&] { return hanging.load() > 0; }));
  clock.ms += 2000;
  CHECK(probe.ready());  // the last success is recent enough
  clock.ms += 1500;
  CHECK_FALSE(probe.ready());

  release = true;
  hang = false;
  CHECK(eventually([&] { return probe.ready(); }));
}

TEST_CASE("readiness: not ready before the first check has passed") {
  FakeClock clock;
  std::atomic<bool> release{false};
  ReadinessProbe probe(
      [&] {
        while (!release) std::this_thread::sleep_for(1ms);  // a stuck check, not a test's wait
        return true;
      },
      fast(clock));
  CHECK_FALSE(probe.ready());
  release = true;
  CHECK(eventually([&] { return probe.ready(); }));
}
