// app/autogroup.h: chargelock's session given a larger CPU share where the
// operator allows it; refused or unsupported: a warning, nothing changed.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>

#include "app/autogroup.h"
#include "test/support/thread_privileges.h"

using chargelock::app::apply_autogroup_nice;
using chargelock::app::autogroup_nice_of;

namespace {

const char* const kAutogroup = "/proc/self/autogroup";

std::optional<int> session_nice() {
  std::ifstream file(kAutogroup);
  if (!file) return std::nullopt;
  return autogroup_nice_of(
      std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>()));
}

}  // namespace

TEST_CASE("the nice value is read from the kernel's autogroup line, anything else is not") {
  CHECK(autogroup_nice_of("/autogroup-302377 nice 0\n") == 0);
  CHECK(autogroup_nice_of("/autogroup-25 nice -10\n") == -10);
  CHECK(autogroup_nice_of("/autogroup-25 nice 19") == 19);
  CHECK_FALSE(autogroup_nice_of("").has_value());
  CHECK_FALSE(autogroup_nice_of("-10\n").has_value());
  CHECK_FALSE(autogroup_nice_of("/autogroup-25 nice \n").has_value());
  CHECK_FALSE(autogroup_nice_of("/autogroup-25 nice -10x\n").has_value());
  CHECK_FALSE(autogroup_nice_of("/autogroup-25 nice -21\n").has_value());
}

TEST_CASE("without autogroup support the setting changes nothing and start goes on") {
  CHECK_FALSE(apply_autogroup_nice(-10, "/nonexistent/autogroup").has_value());
}

TEST_CASE("a refused autogroup nice leaves the session's as it was") {
  const std::optional<int> before = session_nice();
  if (!before) {
    WARN("no /proc/self/autogroup here (kernel without CONFIG_SCHED_AUTOGROUP)");
    return;
  }
  bool forbidden = false;
  std::optional<int> now;
  // Capabilities are per thread: this one drops CAP_SYS_NICE, then asks
  // for more than the session has (a lower nice value needs the privilege).
  std::thread([&] {
    forbidden = chargelock::test::forbid_raising_priorities_on_this_thread();
    now = apply_autogroup_nice(*before - 1 < -20 ? -20 : *before - 1);
  }).join();
  REQUIRE(forbidden);
  CHECK(now == before);
  CHECK(session_nice() == before);
}
