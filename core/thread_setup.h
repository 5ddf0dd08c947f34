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

// Puts the calling thread in the real-time round-robin class (SCHED_RR) at
// `priority` (1 = the lowest real-time priority), so that it runs ahead of
// every ordinary thread of the host (PostgreSQL's backends included) the
// moment it wakes. Meant for event loops that block between events: a
// real-time thread that never blocks would keep a core from everything
// else (the kernel's RT throttling still leaves ordinary threads
// /proc/sys/kernel/sched_rt_runtime_us of each period, 5 % by default).
// Threads and processes it creates start as ordinary ones
// (SCHED_RESET_ON_FORK). Needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least
// `priority`. Logs what it got, `what` naming the thread ("ocpp loop");
// when refused logs a warning, leaves the thread as it was and returns
// false. REQUIRES: 1 <= priority <= 99.
bool run_this_thread_in_realtime(int priority, const std::string& what);

}  // namespace chargelock::core
