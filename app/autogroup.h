// The CPU share of chargelock's autogroup (Linux, sched_autogroup_enabled):
// with autogroup scheduling every session (setsid) is one group, and the
// groups share the cores evenly, so each busy PostgreSQL backend (each
// calls setsid) gets as much CPU as all of chargelock's threads together.
// A lower autogroup nice value gives chargelock's session a larger share.
//
// Thread contract: call from one thread at start; it acts on the whole
// session (every process in it), not on one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chargelock::app {

// The nice value in an autogroup file's text ("/autogroup-25 nice -10\n");
// nullopt when the text does not have that form.
std::optional<int> autogroup_nice_of(std::string_view text);

// Writes `nice` (-20..19) to `path` (/proc/self/autogroup) and reads it back.
// Logs what the session got; when refused (a negative value needs
// CAP_SYS_NICE or RLIMIT_NICE; no autogroup support: no such file) logs a
// warning and changes nothing. Returns the nice value now in force, nullopt
// when it cannot be read.
std::optional<int> apply_autogroup_nice(int nice, const std::string& path = "/proc/self/autogroup");

}  // namespace chargelock::app
