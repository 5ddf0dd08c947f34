// core/thread_setup.h: a loop thread put ahead of ordinary threads where the
// operator allows it, and left as it was (with a warning) where not.
#include <sched.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/thread_setup.h"
#include "test/support/thread_privileges.h"

using chargelock::core::run_this_thread_in_realtime;

namespace {

struct Scheduling {
  int policy = -1;
  int priority = -1;
};

Scheduling this_thread_scheduling() {
  Scheduling result;
  result.policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
  sched_param param{};
  if (sched_getparam(0, &param) == 0) result.priority = param.sched_priority;
  return result;
}

}  // namespace

TEST_CASE("a refused real-time priority leaves the thread ordinary and start goes on") {
  bool forbidden = false;
  bool granted = true;
  Scheduling after;
  // A thread of its own: capabilities are per thread, and the test's main
  // thread keeps its own.
  std::thread([&] {
    forbidden = chargelock::test::forbid_raising_priorities_on_this_thread();
    granted = run_this_thread_in_realtime(1, "the test's loop");
    after = this_thread_scheduling();
  }).join();
  REQUIRE(forbidden);
  CHECK_FALSE(granted);
  CHECK(after.policy == SCHED_OTHER);
  CHECK(after.priority == 0);
}

TEST_CASE("a granted real-time priority: the thread at SCHED_RR, the threads it starts ordinary") {
  if (!chargelock::test::this_thread_may_raise_priorities()) {
    WARN("no CAP_SYS_NICE here: only the refusal is tested");
    return;
  }
  bool granted = false;
  Scheduling loop;
  Scheduling child;
  std::thread([&] {
    granted = run_this_thread_in_realtime(2, "the test's loop");
    loop = this_thread_scheduling();
    std::thread([&] { child = this_thread_scheduling(); }).join();
  }).join();
  CHECK(granted);
  CHECK(loop.policy == SCHED_RR);
  CHECK(loop.priority == 2);
  CHECK(child.policy == SCHED_OTHER);  // SCHED_RESET_ON_FORK: no real-time helper by accident
  CHECK(child.priority == 0);
}
