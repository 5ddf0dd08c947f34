#include "app/memory_trimmer.h"

#include <malloc.h>

#include <utility>

namespace chargelock::app {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds interval, std::function<void()> trim)
    : task_(interval, trim ? std::move(trim) : std::function<void()>([] { malloc_trim(0); }),
            PeriodicTask::FirstRun::AfterInterval) {}

}  // namespace chargelock::app
