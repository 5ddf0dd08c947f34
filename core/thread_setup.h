// How a thread presents itself to the operating system: its name (top -H,
// perf, /proc/PID/task/TID/comm) and its scheduling priority.
//
// Thread contract: each function acts on the calling thread only.
#pragma once

#include <string>

namespace chargelock::core {

// Names the calling thread (Linux keeps the first 15 characters).
void name_this_thread(const std::string& name);

// Adds `increment` (> 0) to the calling thread's nice value, so that other
// threads of the process (the OCPP loop) get the CPU first when the cores
// are saturated; the thread still runs whenever a core is free. Raising the
// nice value needs no privilege, lowering it back does: a thread lowered
// stays lowered. Logs a warning and returns false when refused.
bool lower_this_thread_priority(int increment);

}  // namespace chargelock::core
