#include "app/memory_trimmer.h"

#include <malloc.h>

#include <utility>

namespace chargelock::app {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds interval, std::function<void()> trim)
    : interval_(interval),
      trim_(trim ? std::move(trim) : std::function<void()>([] { malloc_trim(0); })),
      thread_([this] { run(); }) {}

MemoryTrimmer::~MemoryTrimmer() {
  {
    base::MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.signal_all();
  thread_.join();
}

void MemoryTrimmer::run() {
  for (;;) {
    {
      base::MutexLock lock(mutex_);
      const auto due = std::chrono::steady_clock::now() + interval_;
      while (!stopping_ && wake_.wait_until(due)) {
      }
      if (stopping_) return;
    }
    trim_();  // not under the lock: the destructor must not wait for a trim
  }
}

}  // namespace chargelock::app
