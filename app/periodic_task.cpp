#include "app/periodic_task.h"

#include <utility>

namespace chargelock::app {

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<void()> run,
                           FirstRun first, std::function<void()> on_exit)
    : interval_(interval),
      run_(std::move(run)),
      first_(first),
      on_exit_(std::move(on_exit)),
      thread_([this] { loop(); }) {}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void PeriodicTask::loop() {
  if (first_ == FirstRun::AtStart) run_();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    run_();
    lock.lock();
  }
  lock.unlock();
  if (on_exit_) on_exit_();
}

}  // namespace chargelock::app
