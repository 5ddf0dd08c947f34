// Waiting on a condition instead of sleeping a fixed time: a test waits as
// long as the machine needs (up to the deadline) and no longer, so it is
// neither flaky on a loaded machine nor slow on an idle one.
//
// Threading: call from the test's thread; `condition` runs on it.
#pragma once

#include <chrono>
#include <thread>

namespace chargelock::test {

// Polls `condition` every `poll` until it holds or `timeout` has passed.
// Returns whether it held (checked once more at the deadline). Use it as
// REQUIRE(eventually(...)) beside an INFO saying what was awaited, so a
// failure names the condition rather than a later, puzzling assertion.
template <typename Condition>
bool eventually(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                std::chrono::milliseconds poll = std::chrono::milliseconds(25)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(poll);  // the poll interval, not an assertion
  }
  return condition();
}

}  // namespace chargelock::test
