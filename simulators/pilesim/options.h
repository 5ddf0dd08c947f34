// Command line of pilesim. See docs/pilesim.md for the user-facing list.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chargelock::pilesim {

struct Url {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string path;  // without a trailing slash; the pile id is appended
};

// "ws://host:port/path" or "wss://…" read by base::parse_url (the port
// defaults to 80 / 443, IPv6 hosts in brackets); nullopt when malformed or
// of another scheme.
std::optional<Url> parse_url(std::string_view text);

struct Options {
  Url url;
  int count = 1;
  int first = 1;  // {n} of the first pile
  std::string id_pattern = "SIM-{n}";
  std::string password_pattern;  // HTTP Basic auth password; empty: none
  std::string ca;                // CA file that verifies the server (wss)
  std::string cert_pattern;      // client certificate per pile (profile 3)
  std::string key_pattern;       // its private key
  int connectors = 1;
  double standard_fraction = 0;  // share of piles without the lock extension
  // Share of the extension piles that match locked vehicles but cannot hold
  // the cable (VehicleLocked "held":false).
  double no_hold_fraction = 0;
  bool hashed_matching = false;  // extension piles declare and accept sha256 matching
  std::string scenario;
  bool busy = false;
  double busy_idle_s = 120;     // mean time a connector stays free
  double busy_session_s = 600;  // mean time a vehicle stays plugged in
  // Busy vehicles carry id tags BUSY-1..BUSY-N (a fleet a central system can
  // know); 0 = a fresh random tag per vehicle.
  int busy_tags = 0;
  double duration_s = 0;  // 0: until interrupted (or the scenario's duration)
  double rate = 200;      // new connections per second at start
  bool json = false;
  bool quiet = false;    // no per-event lines
  bool verbose = false;  // also libwebsockets warnings
  std::uint32_t seed = 1;
  std::string vendor = "ChargeLock";
  std::string model = "PileSim";
  double max_power_kw = 22;
  int call_timeout_s = 30;
  // Round-trip load mode (flood.h): "" = off, else heartbeat|status|meter.
  std::string flood;
  double flood_duration_s = 30;
  double flood_wait_s = 600;
  int flood_samples = 4;
  bool help = false;
};

class OptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws OptionError naming the flag on bad input.
Options parse_options(int argc, const char* const* argv);

std::string usage();

// Whether item `index` (0-based) of `count` is in a share `fraction` of
// them: floor(count × fraction) items spread evenly over the range. Picks the
// standard piles (--standard-fraction) and, among the extension piles, those
// that cannot hold the cable (--no-hold-fraction).
bool in_even_share(int index, double fraction);

}  // namespace chargelock::pilesim
