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
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void MemoryTrimmer::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    trim_();
    lock.lock();
  }
}

}  // namespace chargelock::app
