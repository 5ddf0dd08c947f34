// Open-file limit handling for a server that holds tens of thousands of
// sockets.
#pragma once

namespace chargelock::ocpp::websockets {

// Raises the soft RLIMIT_NOFILE to the hard limit, capped at 1,048,576, and
// lowers an absurd soft limit to that cap. libwebsockets sizes its fd tables
// from the limit it sees at context creation and falls back to 2,560 fds when
// the limit exceeds ten million, so calling this first both allows many
// connections and keeps the tables bounded. Returns the resulting soft limit.
long adjust_open_file_limit();

}  // namespace chargelock::ocpp::websockets
