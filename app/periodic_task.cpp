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
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.signal_all();
  thread_.join();
}

void PeriodicTask::loop() {
  if (first_ == FirstRun::AtStart) run_();
  for (;;) {
    {
      base::MutexLock lock(mutex_);
      const auto due = std::chrono::steady_clock::now() + interval_;
      while (!stopping_ && wake_.wait_until(due)) {
      }
      if (stopping_) break;
    }
    run_();  // not under the lock: the destructor must not wait for a run to start
  }
  if (on_exit_) on_exit_();
}

}  // namespace chargelock::app
