#include "ocpp/websockets/loop_timers.h"

#include <algorithm>
#include <utility>

namespace chargelock::ocpp::websockets {

bool LoopTimers::add(std::int64_t due, Task task) {
  const bool earliest = heap_.empty() || due < heap_.front().due;
  heap_.push_back(Entry{due, next_order_++, std::move(task)});
  std::push_heap(heap_.begin(), heap_.end(), later);
  return earliest;
}

std::optional<std::int64_t> LoopTimers::next_due() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().due;
}

std::vector<LoopTimers::Task> LoopTimers::take_due(std::int64_t now) {
  std::vector<Task> due;
  while (!heap_.empty() && heap_.front().due <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    due.push_back(std::move(heap_.back().task));
    heap_.pop_back();
  }
  return due;
}

}  // namespace chargelock::ocpp::websockets
