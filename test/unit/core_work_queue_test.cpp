#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/work_queue.h"
#include "test/support/thread_privileges.h"

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

namespace {
// Records what the queue asks of the group commit; commit() answers `ok`.
class RecordingGroupCommit : public chargelock::core::GroupCommit {
 public:
  void begin() override { log("begin"); }
  bool commit() override {
    log("commit");
    return ok;
  }
  void abort() override { log("abort"); }
  void log(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    events.push_back(what);
  }
  std::mutex mutex;
  std::vector<std::string> events;
  std::atomic<bool> ok{true};
};

// The worker's own GroupCommit, passing everything on to `group`; counts
// how many were made.
class ForwardingGroupCommit final : public chargelock::core::GroupCommit {
 public:
  explicit ForwardingGroupCommit(RecordingGroupCommit& to) : to_(to) {}
  void begin() override { to_.begin(); }
  bool commit() override { return to_.commit(); }
  void abort() override { to_.abort(); }

 private:
  RecordingGroupCommit& to_;
};

WorkQueue::GroupCommitFactory forward_to(RecordingGroupCommit& group,
                                         std::atomic<int>* made = nullptr) {
  return [&group, made]() -> std::unique_ptr<chargelock::core::GroupCommit> {
    if (made != nullptr) ++*made;
    return std::make_unique<ForwardingGroupCommit>(group);
  };
}

// Holds the worker of `queue` that runs `key` until the returned promise is set.
// Returns once the worker runs the holding task: whatever is submitted after
// is queued behind it and taken in one turn (were the worker still idle, it
// could take the hold and the next task alone, as one short turn).
std::promise<void> hold(WorkQueue& queue, const std::string& key = "hold") {
  std::promise<void> release;
  auto holding = std::make_shared<std::promise<void>>();
  std::future<void> held = holding->get_future();
  queue.submit(key, [released = release.get_future().share(), holding] {
    holding->set_value();
    released.wait();
  });
  held.wait();
  return release;
}

// Submits, while the worker of key "k" is held, Shared tasks s1..s3, an Own
// task o4 and Shared s5, each logging its run and its batch's after_commit().
void submit_sample(WorkQueue& queue, RecordingGroupCommit& group) {
  std::promise<void> all_queued = hold(queue, "k");
  const auto task = [&group](const std::string& name) {
    return [&group, name](chargelock::core::WriteBatch& batch) {
      group.log("run " + name);
      batch.after_commit([&group, name] { group.log("done " + name); });
    };
  };
  queue.submit("k", task("s1"), WorkQueue::Commit::Shared);
  queue.submit("k", task("s2"), WorkQueue::Commit::Shared);
  queue.submit("k", task("s3"), WorkQueue::Commit::Shared);
  queue.submit("k", task("o4"), WorkQueue::Commit::Own);
  queue.submit("k", task("s5"), WorkQueue::Commit::Shared);
  all_queued.set_value();
}
}  // namespace

TEST_CASE("shared tasks queued together share one commit, results wait for it") {
  RecordingGroupCommit group;
  {
    WorkQueue queue(1, nullptr, forward_to(group));
    submit_sample(queue, group);
  }
  // s1..s3 form a group; o4 runs alone and ends it; s5 alone needs no group.
  const std::vector<std::string> expected{"begin",  "run s1",  "run s2",  "run s3",
                                          "commit", "done s1", "done s2", "done s3",
                                          "run o4", "done o4", "run s5",  "done s5"};
  CHECK(group.events == expected);
}

TEST_CASE("each worker makes its group commit once and uses it for every group") {
  RecordingGroupCommit group;
  std::atomic<int> made{0};
  {
    WorkQueue queue(3, nullptr, forward_to(group, &made));
    submit_sample(queue, group);  // one worker, two turns of the sample
    submit_sample(queue, group);
  }
  CHECK(made == 3);
  std::size_t commits = 0;
  for (const auto& event : group.events) commits += event == "commit" ? 1 : 0;
  CHECK(commits == 2);
}

TEST_CASE("a group that does not commit runs each of its tasks again, alone") {
  RecordingGroupCommit group;
  group.ok = false;
  {
    WorkQueue queue(1, nullptr, forward_to(group));
    submit_sample(queue, group);
  }
  // No result of the failed group escapes; each task then reports its own.
  const std::vector<std::string> expected{"begin",   "run s1",  "run s2",  "run s3",  "commit",
                                          "run s1",  "done s1", "run s2",  "done s2", "run s3",
                                          "done s3", "run o4",  "done o4", "run s5",  "done s5"};
  CHECK(group.events == expected);
}

TEST_CASE("without a group commit, shared tasks run alone and report at once") {
  std::vector<std::string> events;
  {
    WorkQueue queue(1);
    for (const char* name : {"a", "b"})
      queue.submit(
          "k",
          [&events, name = std::string(name)](chargelock::core::WriteBatch& batch) {
            events.push_back("run " + name);
            batch.after_commit([&events, name] { events.push_back("done " + name); });
          },
          WorkQueue::Commit::Shared);
  }
  CHECK(events == std::vector<std::string>{"run a", "done a", "run b", "done b"});
}

namespace {

// A task logging "run NAME" and, once its batch commits, "done NAME".
WorkQueue::BatchTask logged(RecordingGroupCommit& group, const std::string& name) {
  return [&group, name](chargelock::core::WriteBatch& batch) {
    group.log("run " + name);
    batch.after_commit([&group, name] { group.log("done " + name); });
  };
}

// One worker runs shared tasks S1..S<total> (each of its own key) as a group;
// while S1 runs, a task U of another key arrives on `lane`. Returns what the
// group committed and ran, in order.
std::vector<std::string> shared_group_overtaken(WorkQueue::Lane lane, std::size_t total) {
  RecordingGroupCommit group;
  {
    WorkQueue queue(1, nullptr, forward_to(group));
    auto release = hold(queue);
    queue.submit(
        "K1",
        [&group, &queue, lane](chargelock::core::WriteBatch& batch) {
          group.log("run S1");
          queue.submit("U", logged(group, "U"), WorkQueue::Commit::Own, lane);
          batch.after_commit([&group] { group.log("done S1"); });
        },
        WorkQueue::Commit::Shared);
    for (std::size_t i = 2; i <= total; ++i)
      queue.submit("K" + std::to_string(i), logged(group, "S" + std::to_string(i)),
                   WorkQueue::Commit::Shared);
    release.set_value();
  }
  return group.events;
}

// Appends one committed group of S<from>..S<to>: runs, commit, dones.
void append_group(std::vector<std::string>& events, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i <= to; ++i) events.push_back("run S" + std::to_string(i));
  events.push_back("commit");
  for (std::size_t i = from; i <= to; ++i) events.push_back("done S" + std::to_string(i));
}
}  // namespace

TEST_CASE("an urgent task runs before the bulk tasks queued ahead of it on its worker") {
  RecordingGroupCommit group;
  {
    WorkQueue queue(1);
    auto release = hold(queue);
    for (const char* pile : {"A", "B", "C"})
      queue.submit(pile, logged(group, pile), WorkQueue::Commit::Own);
    queue.submit("U", logged(group, "U"), WorkQueue::Commit::Own, WorkQueue::Lane::Urgent);
    release.set_value();
  }
  CHECK(group.events == std::vector<std::string>{"run U", "done U", "run A", "done A", "run B",
                                                 "done B", "run C", "done C"});
}

TEST_CASE("an urgent task whose key has bulk work queued stays behind that work") {
  RecordingGroupCommit group;
  {
    WorkQueue queue(1);
    auto release = hold(queue);
    queue.submit("A", logged(group, "A1"), WorkQueue::Commit::Own);
    queue.submit("U", logged(group, "U1"), WorkQueue::Commit::Own);
    queue.submit("U", logged(group, "U2"), WorkQueue::Commit::Own, WorkQueue::Lane::Urgent);
    queue.submit("B", logged(group, "B1"), WorkQueue::Commit::Own);
    release.set_value();
  }
  // U2 may not pass U1 (one pile's order); it does not jump A1 either.
  CHECK(group.events == std::vector<std::string>{"run A1", "done A1", "run U1", "done U1", "run U2",
                                                 "done U2", "run B1", "done B1"});
}

TEST_CASE(
    "urgent work cuts a shared group once it holds its minimum, and that part commits first") {
  constexpr std::size_t kMin = WorkQueue::kMinGroupBeforeCut;
  const std::size_t total = kMin + 4;
  // S1..S16 commit together, then U runs, then the rest of the turn.
  std::vector<std::string> expected{"begin"};
  append_group(expected, 1, kMin);
  expected.insert(expected.end(), {"run U", "done U", "begin"});
  append_group(expected, kMin + 1, total);
  CHECK(shared_group_overtaken(WorkQueue::Lane::Urgent, total) == expected);
}

// A pile's VehicleLocked (Lane::Immediate) waits for the task being run and
// its commit, not for the 16 tasks an Urgent command batch waits for.
TEST_CASE("an immediate task cuts a shared group right after the task being run") {
  std::vector<std::string> expected{"begin"};
  append_group(expected, 1, 1);
  expected.insert(expected.end(), {"run U", "done U", "begin"});
  append_group(expected, 2, 20);
  CHECK(shared_group_overtaken(WorkQueue::Lane::Immediate, 20) == expected);
}

TEST_CASE("run_grouped: one commit, work again alone when it does not commit, abort on throw") {
  using chargelock::core::run_grouped;
  using chargelock::core::WriteBatch;
  RecordingGroupCommit group;
  std::vector<bool> grouped;  // per run: was the work handed the group's batch
  const auto work = [&](WriteBatch& batch) { grouped.push_back(batch.grouped()); };
  run_grouped(&group, work);
  CHECK(grouped == std::vector<bool>{true});
  group.ok = false;
  run_grouped(&group, work);
  CHECK(grouped == std::vector<bool>{true, true, false});
  CHECK_THROWS_AS(run_grouped(&group, [](WriteBatch&) { throw std::runtime_error("bad write"); }),
                  std::runtime_error);
  const std::vector<std::string> expected{"begin", "commit", "begin", "commit", "begin", "abort"};
  CHECK(group.events == expected);
  run_grouped(nullptr, work);
  CHECK(grouped == std::vector<bool>{true, true, false, false});
}

namespace {
WorkQueue::Options with_immediate_worker(int bulk_nice = 0) {
  WorkQueue::Options options;
  options.immediate_worker = true;
  options.bulk_nice = bulk_nice;
  return options;
}

// The calling thread's nice value (Linux: per thread).
int this_thread_nice() {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
}
}  // namespace

// A pile's VehicleLocked must not wait for a bulk group (its tasks, its
// commit) however long that group takes: the immediate worker runs it while
// the only shard worker is still busy.
TEST_CASE("an immediate task runs while its shard worker is still busy with bulk work") {
  RecordingGroupCommit group;
  std::promise<void> immediate_ran;
  {
    WorkQueue queue(1, nullptr, forward_to(group), with_immediate_worker());
    auto release = hold(queue);
    for (int i = 0; i < 40; ++i)
      queue.submit("K" + std::to_string(i), logged(group, "S" + std::to_string(i)),
                   WorkQueue::Commit::Shared);
    queue.submit(
        "U",
        [&immediate_ran, &group](chargelock::core::WriteBatch& batch) {
          group.log("run U");
          batch.after_commit([&immediate_ran] { immediate_ran.set_value(); });
        },
        WorkQueue::Commit::Shared, WorkQueue::Lane::Immediate);
    // The shard worker is held: only another thread can run U.
    CHECK(immediate_ran.get_future().wait_for(std::chrono::seconds(30)) ==
          std::future_status::ready);
    release.set_value();
  }
  // U ran and committed before any of the bulk tasks queued ahead of it.
  REQUIRE(group.events.size() >= 2);
  CHECK(group.events[0] == "run U");
  std::size_t bulk_runs = 0;
  for (const auto& event : group.events) bulk_runs += event.rfind("run S", 0) == 0 ? 1 : 0;
  CHECK(bulk_runs == 40);
}

TEST_CASE("with an immediate worker, one key's work still runs in order and never at once") {
  std::mutex mutex;
  std::vector<std::string> order;
  const auto note = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back(what);
  };
  {
    WorkQueue queue(1, nullptr, nullptr, with_immediate_worker());
    // P's bulk work queued on the shard worker: P's immediate task stays
    // behind it (on the shard worker).
    auto release = hold(queue);
    queue.submit("P", [&] { note("P bulk"); });
    queue.submit(
        "P", [&](chargelock::core::WriteBatch&) { note("P immediate"); }, WorkQueue::Commit::Own,
        WorkQueue::Lane::Immediate);
    release.set_value();

    // Q's immediate task runs on the immediate worker and is held there; Q's
    // next tasks (any lane) wait for it although the shard worker is free.
    std::promise<void> q_started;
    std::promise<void> q_release;
    queue.submit(
        "Q",
        [&, held = q_release.get_future().share()](chargelock::core::WriteBatch&) {
          note("Q immediate");
          q_started.set_value();
          held.wait();
        },
        WorkQueue::Commit::Own, WorkQueue::Lane::Immediate);
    q_started.get_future().wait();
    queue.submit("Q", [&] { note("Q bulk"); });
    queue.submit(
        "Q", [&](chargelock::core::WriteBatch&) { note("Q urgent"); }, WorkQueue::Commit::Own,
        WorkQueue::Lane::Urgent);
    std::promise<void> r_ran;
    queue.submit("R", [&] {
      note("R bulk");
      r_ran.set_value();
    });
    r_ran.get_future().wait();  // the shard worker ran R meanwhile
    {
      std::lock_guard<std::mutex> lock(mutex);
      CHECK(std::find(order.begin(), order.end(), "Q bulk") == order.end());
      CHECK(std::find(order.begin(), order.end(), "Q urgent") == order.end());
    }
    q_release.set_value();
    queue.submit("Q", [&] { note("Q later"); });  // back on its shard worker, after the rest
  }
  const auto at = [&](const std::string& what) {
    return std::find(order.begin(), order.end(), what) - order.begin();
  };
  REQUIRE(order.size() == 7);
  CHECK(at("P bulk") < at("P immediate"));
  CHECK(at("Q immediate") < at("R bulk"));
  CHECK(at("R bulk") < at("Q bulk"));
  CHECK(at("Q bulk") < at("Q urgent"));
  CHECK(at("Q urgent") < at("Q later"));
}

TEST_CASE("the immediate worker has its own start hook, group commit and index") {
  RecordingGroupCommit group;
  std::atomic<int> made{0};
  std::mutex mutex;
  std::vector<std::size_t> started;
  std::promise<int> ran_on;
  {
    WorkQueue queue(
        2,
        [&](std::size_t i) {
          std::lock_guard<std::mutex> lock(mutex);
          started.push_back(i);
        },
        forward_to(group, &made), with_immediate_worker());
    CHECK(queue.size() == 2);
    queue.submit(
        "U",
        [&ran_on](chargelock::core::WriteBatch&) { ran_on.set_value(WorkQueue::current_worker()); },
        WorkQueue::Commit::Own, WorkQueue::Lane::Immediate);
    CHECK(ran_on.get_future().get() == 2);
  }
  std::sort(started.begin(), started.end());
  CHECK(started == std::vector<std::size_t>{0, 1, 2});
  CHECK(made == 3);
}

TEST_CASE("bulk_nice lowers the shard workers' priority, not the immediate worker's") {
  std::promise<int> bulk_nice;
  std::promise<int> immediate_nice;
  {
    WorkQueue queue(1, nullptr, nullptr, with_immediate_worker(5));
    auto release = hold(queue);  // so that the next task cannot run on the shard worker
    queue.submit(
        "U",
        [&immediate_nice](chargelock::core::WriteBatch&) {
          immediate_nice.set_value(this_thread_nice());
        },
        WorkQueue::Commit::Own, WorkQueue::Lane::Immediate);
    queue.submit("B", [&bulk_nice] { bulk_nice.set_value(this_thread_nice()); });
    release.set_value();
  }
  const int immediate = immediate_nice.get_future().get();
  CHECK(immediate == this_thread_nice());  // the process's (this test thread's) priority
  CHECK(bulk_nice.get_future().get() == std::min(immediate + 5, 19));
}

TEST_CASE(
    "immediate_realtime_priority puts the immediate worker at SCHED_RR, not the shard workers") {
  if (!chargelock::test::this_thread_may_raise_priorities()) {
    WARN("no CAP_SYS_NICE here: core_thread_setup_test covers the refusal");
    return;
  }
  std::promise<int> bulk_policy;
  std::promise<int> immediate_policy;
  {
    WorkQueue::Options options = with_immediate_worker();
    options.immediate_realtime_priority = 1;
    WorkQueue queue(1, nullptr, nullptr, options);
    auto release = hold(queue);  // so that the next task cannot run on the shard worker
    queue.submit(
        "U",
        [&immediate_policy](chargelock::core::WriteBatch&) {
          immediate_policy.set_value(sched_getscheduler(0) & ~SCHED_RESET_ON_FORK);
        },
        WorkQueue::Commit::Own, WorkQueue::Lane::Immediate);
    queue.submit("B", [&bulk_policy] {
      bulk_policy.set_value(sched_getscheduler(0) & ~SCHED_RESET_ON_FORK);
    });
    release.set_value();
  }
  CHECK(immediate_policy.get_future().get() == SCHED_RR);
  CHECK(bulk_policy.get_future().get() == SCHED_OTHER);
}
