#include "ocpp/websockets/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace chargelock::ocpp::websockets {

long adjust_open_file_limit() {
  constexpr rlim_t kCap = 1 << 20;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  const rlim_t wanted =
      limit.rlim_max == RLIM_INFINITY ? kCap : std::min<rlim_t>(limit.rlim_max, kCap);
  if (limit.rlim_cur != wanted) {
    rlimit adjusted = limit;
    adjusted.rlim_cur = wanted;
    if (setrlimit(RLIMIT_NOFILE, &adjusted) == 0) limit = adjusted;
  }
  return limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(limit.rlim_cur);
}

}  // namespace chargelock::ocpp::websockets
