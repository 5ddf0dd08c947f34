// Settings of the chargelock program. Each comes from a flag or a
// CHARGELOCK_* environment variable; a flag wins over its variable.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/secret_box.h"

namespace chargelock::app {

struct HostPort {
  std::string host;
  int port = 0;
};

struct Config {
  std::string command = "serve";       // serve | ocpp | api | migrate | chargepoint
  std::vector<std::string> arguments;  // what follows the command (chargepoint add ...)

  std::string database_url = "postgresql://chargelock@127.0.0.1:5433/chargelock";
  HostPort ocpp_listen{"0.0.0.0", 8180};
  std::optional<HostPort> ocpp_tls_listen;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  HostPort api_listen{"0.0.0.0", 8080};
  // GET /metrics without a token (app/metrics_listener.h); off when unset.
  std::optional<HostPort> metrics_listen;
  std::string api_tls_cert;  // with api_tls_key: the API serves HTTPS
  std::string api_tls_key;
  std::string admin_token;
  std::string webhook_ca;  // CAs (PEM) for https webhooks; empty: the system's
  // Owners' webhook URLs may reach loopback / private / link-local addresses
  // (SPEC §7: refused unless the operator allows it).
  bool webhook_allow_private = false;
  // The console's map tiles (--map-tile-url); empty: maps drawn without tiles.
  std::string map_tile_url;
  int api_max_body_bytes = 1024 * 1024;  // larger request bodies get 413
  // Seals queued commands' secrets (AuthorizationKey) at rest; from
  // CHARGELOCK_SECRET_KEY or a key file. None: kept in clear until delivery.
  std::optional<core::SecretBox::Key> secret_key;

  bool auto_register = false;
  bool allow_unauthenticated_piles = false;  // piles registered without a password may connect
  bool assume_utc_timestamps = false;        // pile date-times without offset read as UTC
  int heartbeat_interval_s = 300;
  // Days of OCPP message log kept (whole day partitions dropped; 0: all).
  int message_log_retention_days = 0;
  // Days of meter values kept (whole day partitions dropped; 0: all).
  int meter_values_retention_days = 0;
  int memory_trim_interval_s = 60;  // 0: never hand freed heap memory back (app/memory_trimmer.h)
  int call_timeout_s = 30;
  int ping_interval_s = 60;
  int workers = 4;
  // Added to the OCPP node's shard workers' nice value (core::WorkQueue::
  // Options::bulk_nice): the loop and the immediate worker go first.
  int worker_nice = 5;
  // The CPU ahead of bulk work for the latency-critical threads, where the
  // operator allows it (root or CAP_SYS_NICE; refused: a warning, nothing
  // changes). 0: unchanged (default).
  // - autogroup_nice (-20..19): the session's autogroup nice (app/autogroup.h).
  // - loop_realtime_priority (1..10): the OCPP and API loops and the OCPP
  //   node's immediate worker at SCHED_RR this priority
  //   (core::run_this_thread_in_realtime).
  int autogroup_nice = 0;
  int loop_realtime_priority = 0;
  double low_battery_threshold = 20;  // percent state of charge
  int ocpp_connect_rate = 50;         // upgrade attempts per second per source address (0: off)
  int ocpp_connect_burst = 500;       // ... at once after a quiet spell
  int vehicles_per_owner = 20;        // registrations per owner (429 beyond)
  int lock_requests_per_hour = 6;     // per vehicle (429 beyond)
  int streams_per_owner = 5;          // open notification streams per owner (429 beyond)
  int api_token_rate = 50;            // API requests per second per token (0: off; 429 beyond)
  int api_token_burst = 100;          // ... in bursts of up to this many
  // This OCPP node's name in the database (which node holds which pile).
  // Empty: "<hostname>:<ocpp port>".
  std::string node_id;
  std::string log_level = "info";
  core::LogFormat log_format = core::LogFormat::Text;
};

// Parses argv and the environment. Throws ConfigError with a message naming
// the setting on bad input. `--help` is handled by the caller via wants_help.
struct ParseResult {
  Config config;
  bool wants_help = false;
};
ParseResult parse_config(int argc, const char* const argv[]);

std::string usage();

// Config::node_id, or "<hostname>:<ocpp port>" when it is empty.
std::string node_id(const Config& config);

class ConfigError : public std::exception {
 public:
  explicit ConfigError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

}  // namespace chargelock::app
