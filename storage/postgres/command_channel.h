// The NOTIFY channel that wakes the OCPP nodes' command dispatchers, shared
// by the stores that queue commands (commands, and a lock's fan-out).
#pragma once

namespace chargelock::storage::postgres {

inline constexpr const char* kCommandChannel = "chargelock_commands";
// The notification payload that stands for "many piles" (see CommandWakeups).
inline constexpr const char* kCommandsForEveryPile = "*";

}  // namespace chargelock::storage::postgres
