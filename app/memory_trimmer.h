// Hands the heap memory the program freed back to the system, periodically.
//
// Why: glibc's malloc keeps freed memory inside its arenas for reuse and
// returns only what lies at the top of the main heap. ChargeLock's load
// comes in bursts — a boot storm queues every pile's frames for the
// database, a lock fans out one command to every pile — and each parsed
// frame or command holds a RapidJSON document whose memory pool starts with
// a 64 KiB chunk. After a burst the live heap shrinks again, but the freed
// chunks stay in the arenas; as they are reused their untouched pages are
// touched one by one, and the resident set creeps towards the burst's size
// for minutes after each new high-water mark (bench/soak.sh, 1,000 busy
// piles: 47-49 MB while the live heap's floor stayed at ~13 MB;
// bench/README.md). malloc_trim(0) releases every
// whole free page of every arena (madvise), so the resident set follows the
// live heap.
//
// Thread contract: one thread of its own, which only sleeps and trims;
// construct and destroy on one thread (the destructor stops and joins it).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "base/mutex.h"

namespace chargelock::app {

class MemoryTrimmer {
 public:
  // Trims every `interval`; `trim` defaults to malloc_trim(0) (tests pass
  // their own). REQUIRES: interval > 0.
  explicit MemoryTrimmer(std::chrono::milliseconds interval, std::function<void()> trim = nullptr);
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

 private:
  void run();

  const std::chrono::milliseconds interval_;
  const std::function<void()> trim_;
  base::Mutex mutex_;
  base::CondVar wake_{&mutex_};
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace chargelock::app
