// Runs one function periodically on a thread of its own (background
// housekeeping: handing freed memory back, the message log's partitions).
//
// Thread contract: the function runs only on the task's thread, never
// twice at once; construct and destroy on one thread (the destructor stops
// and joins it, without waiting for the next interval, but after a run in
// progress). `on_exit` runs on the task's thread as it ends (e.g. to close
// that thread's database connection).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "base/mutex.h"

namespace chargelock::app {

class PeriodicTask {
 public:
  enum class FirstRun { AfterInterval, AtStart };
  // REQUIRES: interval > 0, run non-empty.
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> run, FirstRun first,
               std::function<void()> on_exit = nullptr);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void loop();

  const std::chrono::milliseconds interval_;
  const std::function<void()> run_;
  const FirstRun first_;
  const std::function<void()> on_exit_;
  base::Mutex mutex_;
  base::CondVar wake_{&mutex_};
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace chargelock::app
