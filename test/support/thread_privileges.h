// The calling thread's right to raise scheduling priorities (CAP_SYS_NICE;
// Linux keeps capabilities per thread), for tests of the refusal paths that
// must also run as root (CI containers).
//
// Thread contract: each function acts on the calling thread only, except
// that forbid_raising_priorities_on_this_thread() also lowers the process's
// RLIMIT_RTPRIO and RLIMIT_NICE to 0 (what an unprivileged service has).
#pragma once

namespace chargelock::test {

// True when the calling thread holds CAP_SYS_NICE in its effective set.
bool this_thread_may_raise_priorities();

// Drops CAP_SYS_NICE from the calling thread's effective set and the
// rlimits that would grant the same. Returns false when that failed.
bool forbid_raising_priorities_on_this_thread();

}  // namespace chargelock::test
