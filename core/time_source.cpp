#include "core/time_source.h"

namespace chargelock::core {

namespace {
class SystemTimeSource final : public TimeSource {
 public:
  Timestamp now() const override { return Clock::now(); }
};
}  // namespace

TimeSource& system_time() {
  static SystemTimeSource system;
  return system;
}

ManualTimeSource::ManualTimeSource(Timestamp start) : ticks_(start.time_since_epoch().count()) {}

Timestamp ManualTimeSource::now() const { return Timestamp(Clock::duration(ticks_.load())); }

void ManualTimeSource::set(Timestamp t) { ticks_.store(t.time_since_epoch().count()); }

void ManualTimeSource::advance(Clock::duration by) { ticks_.fetch_add(by.count()); }

}  // namespace chargelock::core
