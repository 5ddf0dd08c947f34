// LoopTimers: the OCPP server's scheduled tasks (CALL time-outs, the
// keepalive sweep) over one lws timer.
#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "ocpp/websockets/loop_timers.h"

using chargelock::ocpp::websockets::LoopTimers;

namespace {

std::vector<std::string> run_due(LoopTimers& timers, std::int64_t now,
                                 std::vector<std::string>& ran) {
  for (auto& task : timers.take_due(now)) task();
  return ran;
}

}  // namespace

TEST_CASE("scheduled tasks run when due, earliest first, ties in the order added", "[websockets]") {
  LoopTimers timers;
  std::vector<std::string> ran;
  const auto task = [&](std::string name) { return [&ran, name] { ran.push_back(name); }; };
  CHECK(timers.add(300, task("c")));        // the first is the earliest
  CHECK(timers.add(100, task("a")));        // earlier: the caller moves its timer
  CHECK_FALSE(timers.add(300, task("d")));  // later: the timer stays
  CHECK_FALSE(timers.add(200, task("b")));
  CHECK(timers.next_due() == std::optional<std::int64_t>(100));
  CHECK(timers.size() == 4);

  CHECK(run_due(timers, 99, ran).empty());  // nothing is due yet
  CHECK(run_due(timers, 200, ran) == std::vector<std::string>{"a", "b"});
  CHECK(timers.next_due() == std::optional<std::int64_t>(300));
  CHECK(run_due(timers, 1000, ran) == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK_FALSE(timers.next_due());
  CHECK(timers.size() == 0);
}

TEST_CASE("a task may schedule another: it waits for a later take", "[websockets]") {
  LoopTimers timers;
  int sweeps = 0;
  std::function<void()> sweep = [&] {
    ++sweeps;
    timers.add(2000, sweep);  // a periodic task re-arms itself
  };
  timers.add(1000, sweep);
  for (auto& task : timers.take_due(5000)) task();
  CHECK(sweeps == 1);
  CHECK(timers.next_due() == std::optional<std::int64_t>(2000));
}

TEST_CASE("thousands of time-outs, added latest last, come out in time order", "[websockets]") {
  // A lock's fan-out: every CALL's time-out is the latest so far.
  LoopTimers timers;
  std::vector<int> ran;
  constexpr int kCalls = 20000;
  for (int i = 0; i < kCalls; ++i) timers.add(30'000'000 + i, [&ran, i] { ran.push_back(i); });
  for (int i = kCalls - 1; i >= 0; i -= 2) timers.add(i, [&ran, i] { ran.push_back(-i - 1); });
  for (auto& task : timers.take_due(30'000'000 + kCalls / 2 - 1)) task();
  REQUIRE(ran.size() == static_cast<std::size_t>(kCalls / 2 + kCalls / 2));
  CHECK(ran.front() == -2);  // due at 1, the earliest
  CHECK(ran.back() == kCalls / 2 - 1);
  CHECK(std::is_sorted(ran.begin() + kCalls / 2, ran.end()));
}
