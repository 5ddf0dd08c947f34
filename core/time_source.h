// Where the services read the time: the system clock in the program, a
// manual clock in tests, so a test moves time forward instead of sleeping it
// out (a retry's backoff, a lock's expiry, a command's age).
//
// Thread contract: now() is safe from any thread; ManualTimeSource's set()
// and advance() too (its time is one atomic value).
#pragma once

#include <atomic>

#include "core/timestamp.h"

namespace chargelock::core {

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual Timestamp now() const = 0;
};

// The system clock (Clock::now()); one for the whole process.
TimeSource& system_time();

// Time that moves only when told to. Starts at `start` (the system clock's
// time when made, unless given).
class ManualTimeSource final : public TimeSource {
 public:
  explicit ManualTimeSource(Timestamp start = Clock::now());
  Timestamp now() const override;
  void set(Timestamp t);
  void advance(Clock::duration by);

 private:
  std::atomic<Clock::rep> ticks_;  // now().time_since_epoch().count()
};

}  // namespace chargelock::core
