#include "core/thread_setup.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace chargelock::core {

void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

bool lower_this_thread_priority(int increment) {
  // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value
  // alone (setpriority(2), "BUGS": threads do not share it).
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno == 0 && setpriority(PRIO_PROCESS, tid, current + increment) == 0) return true;
  log(LogLevel::Warn, "thread_priority_unchanged",
      fmt::format("chargelock: could not lower a worker thread's priority by {}: {}", increment,
                  std::strerror(errno)));
  return false;
}

bool run_this_thread_in_realtime(int priority, const std::string& what) {
  sched_param param{};
  param.sched_priority = priority;
  // 0: the calling thread (Linux schedules threads, not processes).
  if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0) {
    log(LogLevel::Notice, "thread_realtime",
        fmt::format("chargelock: {} runs at real-time priority {} (SCHED_RR)", what, priority));
    return true;
  }
  log(LogLevel::Warn, "thread_realtime_refused",
      fmt::format("chargelock: {} stays at an ordinary priority: real-time priority {} refused "
                  "({}; needs CAP_SYS_NICE or RLIMIT_RTPRIO >= {})",
                  what, priority, std::strerror(errno), priority));
  return false;
}

}  // namespace chargelock::core
