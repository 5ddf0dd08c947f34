#include "test/support/thread_privileges.h"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace chargelock::test {
namespace {

struct Capabilities {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};  // 0: the calling thread
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
};

bool read_capabilities(Capabilities& caps) {
  return syscall(SYS_capget, &caps.header, caps.data) == 0;
}

constexpr unsigned kWord = CAP_SYS_NICE / 32;
constexpr unsigned kBit = 1u << (CAP_SYS_NICE % 32);

}  // namespace

bool this_thread_may_raise_priorities() {
  Capabilities caps;
  return read_capabilities(caps) && (caps.data[kWord].effective & kBit) != 0;
}

bool forbid_raising_priorities_on_this_thread() {
  const rlimit none{0, 0};
  if (setrlimit(RLIMIT_RTPRIO, &none) != 0 || setrlimit(RLIMIT_NICE, &none) != 0) return false;
  Capabilities caps;
  if (!read_capabilities(caps)) return false;
  caps.data[kWord].effective &= ~kBit;
  return syscall(SYS_capset, &caps.header, caps.data) == 0 && !this_thread_may_raise_priorities();
}

}  // namespace chargelock::test
