// Counters the simulated piles add to while they run; shown by the progress
// line and the end-of-run summary. Only the event loop thread touches them.
#pragma once

#include <cstdint>

namespace chargelock::pilesim {

struct Stats {
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t connects = 0;          // websocket connections established
  std::uint64_t connect_failures = 0;  // connection attempts that failed
  std::uint64_t disconnects = 0;       // established connections that ended
  std::uint64_t boots_accepted = 0;
  std::uint64_t boots_pending = 0;
  std::uint64_t boots_rejected = 0;
  std::uint64_t call_errors = 0;      // CALLERRORs received for our CALLs
  std::uint64_t call_timeouts = 0;    // our CALLs that got no answer in time
  std::uint64_t protocol_errors = 0;  // unparseable or unexpected frames received
  std::uint64_t cs_calls = 0;         // CALLs from the central system answered
  std::uint64_t authorizations_refused = 0;
  std::uint64_t transactions_started = 0;
  std::uint64_t transactions_stopped = 0;
  std::uint64_t meter_values = 0;
  std::uint64_t messages_dropped = 0;  // transaction messages given up after retries
  std::uint64_t locks_armed = 0;
  std::uint64_t locks_disarmed = 0;
  std::uint64_t vehicles_held = 0;           // VehicleLocked sent, cable held
  std::uint64_t vehicles_seen_not_held = 0;  // VehicleLocked "held":false sent
  std::uint64_t action_refusals = 0;         // scenario/busy actions the pile refused
};

}  // namespace chargelock::pilesim
