// A pilesim process in the background, its piles connected until it is
// killed: for tests that act on the central system while the piles stay
// connected (a lock's fan-out, a kill -9 of the node under them).
//
// Threading: one thread owns the object.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace chargelock::test {

class PilesimFleet {
 public:
  // Starts pilesim (PILESIM_BINARY) with `args`; its output is discarded.
  explicit PilesimFleet(const std::vector<std::string>& args);
  ~PilesimFleet() { kill(); }
  PilesimFleet(const PilesimFleet&) = delete;
  PilesimFleet& operator=(const PilesimFleet&) = delete;

  // SIGKILL: the piles' sockets close without a goodbye, as in a power cut.
  void kill();

 private:
  pid_t pid_ = -1;
};

}  // namespace chargelock::test
