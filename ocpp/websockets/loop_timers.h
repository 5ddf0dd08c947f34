// Many one-shot tasks, each due at its own time, kept in one min-heap so the
// event loop arms a single libwebsockets timer for all of them (the
// earliest one's).
//
// Why not one lws timer per task: lws 4.1 keeps all its timers in one
// sorted linked list and inserts by walking it from the head. Every CALL
// the server sends arms its answer time-out, the latest deadline so far, so
// each insertion walked past every time-out still pending: a lock's
// LockVehicle to N piles cost N^2/2 steps on the loop, and the release's
// UnlockVehicle, whose time-outs come after the LockVehicle ones (answered,
// but their timers stay until they expire), N^2 * 1.5. A heap is log N.
//
// Threading: one thread (the event loop) only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace chargelock::ocpp::websockets {

class LoopTimers {
 public:
  using Task = std::function<void()>;

  // Adds `task`, due at `due` (microseconds on the loop's clock). Returns
  // true when it is now the earliest: the caller moves its one timer.
  bool add(std::int64_t due, Task task);
  // The earliest due time; nothing when no task waits.
  std::optional<std::int64_t> next_due() const;
  // Removes and returns the tasks due at or before `now`, earliest first
  // (tasks due at the same time in the order they were added).
  std::vector<Task> take_due(std::int64_t now);
  std::size_t size() const { return heap_.size(); }
  void clear() { heap_.clear(); }

 private:
  struct Entry {
    std::int64_t due;
    std::uint64_t order;  // ties: first added, first run
    Task task;
  };
  // std::push_heap keeps the greatest first: "later" is "less".
  static bool later(const Entry& a, const Entry& b) {
    return a.due != b.due ? a.due > b.due : a.order > b.order;
  }

  std::vector<Entry> heap_;
  std::uint64_t next_order_ = 0;
};

}  // namespace chargelock::ocpp::websockets
