// Waiting on a condition instead of sleeping a fixed time: a test waits as
// long as the machine needs (up to the deadline) and no longer, so it is
// neither flaky on a loaded machine nor slow on an idle one.
//
// This is the one wait rule of the tests: a test that polls writes it with
// eventually(); a test whose pause between checks is itself useful work (a
// pile reading and answering the central system's frames, a listener
// waiting for a notification) writes it with eventually_meanwhile().
// To wait for a value, capture it in the condition
// (`[&] { seen = status(); return seen == 200; }`) and assert on it after:
// the failure then shows what was last seen.
//
// Threading: call from the test's thread; `condition` and `meanwhile` run on it.
#pragma once

#include <chrono>
#include <thread>

namespace chargelock::test {

// Checks `condition`; until it holds or `timeout` has passed, runs
// `meanwhile` between checks. `meanwhile` must take the time itself (sleep
// a poll interval, or read a frame for up to a few hundred ms): it is what
// paces the loop. Returns whether the condition held (checked once more at
// the deadline). Use it as REQUIRE(eventually...(...)) beside an INFO saying
// what was awaited, so a failure names the condition rather than a later,
// puzzling assertion.
template <typename Condition, typename Meanwhile>
bool eventually_meanwhile(Condition condition, Meanwhile meanwhile,
                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    meanwhile();
  }
  return condition();
}

// Polls `condition` every `poll` until it holds or `timeout` has passed.
template <typename Condition>
bool eventually(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                std::chrono::milliseconds poll = std::chrono::milliseconds(25)) {
  return eventually_meanwhile(
      condition,
      [poll] { std::this_thread::sleep_for(poll); },  // the poll interval, not an assertion
      timeout);
}

}  // namespace chargelock::test
