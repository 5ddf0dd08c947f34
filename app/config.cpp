#include "app/config.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <stdexcept>

#include "api/console_settings.h"

namespace chargelock::app {
namespace {

HostPort parse_host_port(const std::string& name, const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    throw ConfigError(fmt::format("{}: expected HOST:PORT, got '{}'", name, text));
  HostPort result;
  result.host = text.substr(0, colon);
  if (result.host.size() >= 2 && result.host.front() == '[' && result.host.back() == ']')
    result.host = result.host.substr(1, result.host.size() - 2);
  if (result.host.empty()) result.host = "0.0.0.0";
  const std::string port = text.substr(colon + 1);
  char* end = nullptr;
  const long value = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || value < 0 || value > 65535)
    throw ConfigError(fmt::format("{}: port must be 0-65535, got '{}'", name, port));
  result.port = static_cast<int>(value);
  return result;
}

int parse_int(const std::string& name, const std::string& text, int min, int max) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < min || value > max)
    throw ConfigError(fmt::format("{}: expected an integer {}-{}, got '{}'", name, min, max, text));
  return static_cast<int>(value);
}

bool parse_bool(const std::string& name, const std::string& text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off" || text.empty()) return false;
  throw ConfigError(fmt::format("{}: expected true or false, got '{}'", name, text));
}

void require_readable(const std::string& name, const std::string& path) {
  if (path.empty()) return;
  std::ifstream file(path);
  if (!file) throw ConfigError(fmt::format("{}: cannot read '{}'", name, path));
}

// The key is never echoed in an error: it is a secret.
core::SecretBox::Key parse_secret_key(const std::string& name, const std::string& text) {
  auto key = core::SecretBox::parse_key(text);
  if (!key)
    throw ConfigError(fmt::format(
        "{}: expected 64 hexadecimal digits or the base64 of 32 bytes (e.g. openssl rand -hex 32)",
        name));
  return *key;
}

core::SecretBox::Key read_secret_key_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(fmt::format("--secret-key-file: cannot read '{}'", path));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return parse_secret_key(fmt::format("--secret-key-file '{}'", path), text);
}

// One setting: its flag, its environment variable, and how it is applied.
struct Setting {
  const char* flag;
  const char* env;
  const char* help;
  bool takes_value;
  std::function<void(Config&, const std::string&)> apply;
};

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = {
      {"--database-url", "CHARGELOCK_DATABASE_URL", "libpq connection URI", true,
       [](Config& c, const std::string& v) { c.database_url = v; }},
      {"--ocpp-listen", "CHARGELOCK_OCPP_LISTEN", "HOST:PORT of the ws:// listener (profile 1)",
       true,
       [](Config& c, const std::string& v) {
         c.ocpp_listen = parse_host_port("--ocpp-listen", v);
       }},
      {"--ocpp-tls-listen", "CHARGELOCK_OCPP_TLS_LISTEN",
       "HOST:PORT of the wss:// listener (profiles 2, 3); off when unset", true,
       [](Config& c, const std::string& v) {
         if (!v.empty()) c.ocpp_tls_listen = parse_host_port("--ocpp-tls-listen", v);
       }},
      {"--tls-cert", "CHARGELOCK_TLS_CERT", "server certificate (PEM)", true,
       [](Config& c, const std::string& v) { c.tls_cert = v; }},
      {"--tls-key", "CHARGELOCK_TLS_KEY", "server private key (PEM)", true,
       [](Config& c, const std::string& v) { c.tls_key = v; }},
      {"--tls-ca", "CHARGELOCK_TLS_CA", "CA (PEM) that signs profile-3 client certificates", true,
       [](Config& c, const std::string& v) { c.tls_ca = v; }},
      {"--api-listen", "CHARGELOCK_API_LISTEN", "HOST:PORT of the REST API", true,
       [](Config& c, const std::string& v) { c.api_listen = parse_host_port("--api-listen", v); }},
      {"--metrics-listen", "CHARGELOCK_METRICS_LISTEN",
       "HOST:PORT serving GET /metrics without a token (bind to localhost or a private "
       "network); off when unset",
       true,
       [](Config& c, const std::string& v) {
         if (!v.empty()) c.metrics_listen = parse_host_port("--metrics-listen", v);
       }},
      {"--api-tls-cert", "CHARGELOCK_API_TLS_CERT",
       "certificate (PEM) of the REST API: it serves HTTPS (needs --api-tls-key)", true,
       [](Config& c, const std::string& v) { c.api_tls_cert = v; }},
      {"--api-tls-key", "CHARGELOCK_API_TLS_KEY", "private key (PEM) of the REST API's certificate",
       true, [](Config& c, const std::string& v) { c.api_tls_key = v; }},
      {"--admin-token", "CHARGELOCK_ADMIN_TOKEN", "the first operator token", true,
       [](Config& c, const std::string& v) { c.admin_token = v; }},
      {"--webhook-ca", "CHARGELOCK_WEBHOOK_CA",
       "CA certificates (PEM) that https webhook URLs must chain to (default: the system's)", true,
       [](Config& c, const std::string& v) { c.webhook_ca = v; }},
      {"--webhook-allow-private", "CHARGELOCK_WEBHOOK_ALLOW_PRIVATE",
       "let owners' webhook URLs reach loopback, private, link-local or unspecified addresses",
       false,
       [](Config& c, const std::string& v) {
         c.webhook_allow_private = parse_bool("--webhook-allow-private", v);
       }},
      {"--map-tile-url", "CHARGELOCK_MAP_TILE_URL",
       "map tiles under the console's maps, an http(s) URL with {z}, {x} and {y} (default: none; "
       "the maps are drawn offline)",
       true,
       [](Config& c, const std::string& v) {
         try {
           c.map_tile_url = api::checked_map_tile_url(v);
         } catch (const std::invalid_argument& e) {
           throw ConfigError(fmt::format("--map-tile-url: {}", e.what()));
         }
       }},
      {"--api-max-body", "CHARGELOCK_API_MAX_BODY",
       "largest REST request body in bytes; larger ones get 413 (default 1048576)", true,
       [](Config& c, const std::string& v) {
         c.api_max_body_bytes = parse_int("--api-max-body", v, 1024, 256 * 1024 * 1024);
       }},
      {"--secret-key-file", "CHARGELOCK_SECRET_KEY_FILE",
       "file with the key (64 hex digits) that encrypts queued secrets", true,
       [](Config& c, const std::string& v) {
         if (!v.empty()) c.secret_key = read_secret_key_file(v);
       }},
      {"--secret-key", "CHARGELOCK_SECRET_KEY",
       "that key itself (prefer the variable or the file: flags show in ps)", true,
       [](Config& c, const std::string& v) {
         if (!v.empty()) c.secret_key = parse_secret_key("--secret-key", v);
       }},
      {"--auto-register", "CHARGELOCK_AUTO_REGISTER",
       "accept unknown charge point ids (registered as Pending)", false,
       [](Config& c, const std::string& v) { c.auto_register = parse_bool("--auto-register", v); }},
      {"--allow-unauthenticated-piles", "CHARGELOCK_ALLOW_UNAUTHENTICATED_PILES",
       "let piles registered without a password connect without credentials (profiles 1, 2)", false,
       [](Config& c, const std::string& v) {
         c.allow_unauthenticated_piles = parse_bool("--allow-unauthenticated-piles", v);
       }},
      {"--assume-utc-timestamps", "CHARGELOCK_ASSUME_UTC_TIMESTAMPS",
       "read piles' date-times without a UTC offset as UTC instead of refusing them", false,
       [](Config& c, const std::string& v) {
         c.assume_utc_timestamps = parse_bool("--assume-utc-timestamps", v);
       }},
      {"--heartbeat-interval", "CHARGELOCK_HEARTBEAT_INTERVAL",
       "seconds, sent in BootNotification.conf (default 300)", true,
       [](Config& c, const std::string& v) {
         c.heartbeat_interval_s = parse_int("--heartbeat-interval", v, 1, 86400);
       }},
      {"--message-log-retention-days", "CHARGELOCK_MESSAGE_LOG_RETENTION_DAYS",
       "days of OCPP message log kept; older days are dropped a whole day partition at a time "
       "(default 0: keep everything)",
       true,
       [](Config& c, const std::string& v) {
         c.message_log_retention_days = parse_int("--message-log-retention-days", v, 0, 100 * 366);
       }},
      {"--meter-values-retention-days", "CHARGELOCK_METER_VALUES_RETENTION_DAYS",
       "days of meter values kept; older days are dropped a whole day partition at a time, "
       "transactions stay (default 0: keep everything)",
       true,
       [](Config& c, const std::string& v) {
         c.meter_values_retention_days =
             parse_int("--meter-values-retention-days", v, 0, 100 * 366);
       }},
      {"--memory-trim-interval", "CHARGELOCK_MEMORY_TRIM_INTERVAL",
       "seconds between handing freed heap memory back to the system (default 60, 0: off)", true,
       [](Config& c, const std::string& v) {
         c.memory_trim_interval_s = parse_int("--memory-trim-interval", v, 0, 86400);
       }},
      {"--call-timeout", "CHARGELOCK_CALL_TIMEOUT",
       "seconds to wait for a pile's answer to a CALL (default 30)", true,
       [](Config& c, const std::string& v) {
         c.call_timeout_s = parse_int("--call-timeout", v, 1, 3600);
       }},
      {"--ping-interval", "CHARGELOCK_PING_INTERVAL",
       "seconds of silence before a websocket PING; a pile silent twice that long is offline "
       "(default 60)",
       true,
       [](Config& c, const std::string& v) {
         c.ping_interval_s = parse_int("--ping-interval", v, 1, 3600);
       }},
      {"--node-id", "CHARGELOCK_NODE_ID",
       "this OCPP node's name among several (default HOSTNAME:OCPP_PORT)", true,
       [](Config& c, const std::string& v) { c.node_id = v; }},
      {"--low-battery-threshold", "CHARGELOCK_LOW_BATTERY_THRESHOLD",
       "state of charge (%) below which the owner is offered a lock (default 20)", true,
       [](Config& c, const std::string& v) {
         c.low_battery_threshold = parse_int("--low-battery-threshold", v, 0, 100);
       }},
      {"--ocpp-connect-rate", "CHARGELOCK_OCPP_CONNECT_RATE",
       "websocket upgrade attempts per second per source address; 429 beyond (default 50; 0: "
       "off, e.g. behind a proxy or for simulators on one host)",
       true,
       [](Config& c, const std::string& v) {
         c.ocpp_connect_rate = parse_int("--ocpp-connect-rate", v, 0, 1000000);
       }},
      {"--ocpp-connect-burst", "CHARGELOCK_OCPP_CONNECT_BURST",
       "upgrade attempts per source address at once after a quiet spell (default 500)", true,
       [](Config& c, const std::string& v) {
         c.ocpp_connect_burst = parse_int("--ocpp-connect-burst", v, 1, 10000000);
       }},
      {"--vehicles-per-owner", "CHARGELOCK_VEHICLES_PER_OWNER",
       "vehicles an owner may register (default 20; 429 beyond)", true,
       [](Config& c, const std::string& v) {
         c.vehicles_per_owner = parse_int("--vehicles-per-owner", v, 1, 100000);
       }},
      {"--lock-requests-per-hour", "CHARGELOCK_LOCK_REQUESTS_PER_HOUR",
       "lock requests per vehicle per hour (default 6; 429 beyond)", true,
       [](Config& c, const std::string& v) {
         c.lock_requests_per_hour = parse_int("--lock-requests-per-hour", v, 1, 100000);
       }},
      {"--streams-per-owner", "CHARGELOCK_STREAMS_PER_OWNER",
       "notification streams an owner may hold open (default 5; 429 beyond)", true,
       [](Config& c, const std::string& v) {
         c.streams_per_owner = parse_int("--streams-per-owner", v, 1, 10000);
       }},
      {"--api-token-rate", "CHARGELOCK_API_TOKEN_RATE",
       "API requests per second per token (default 50; 0 = no limit; 429 beyond)", true,
       [](Config& c, const std::string& v) {
         c.api_token_rate = parse_int("--api-token-rate", v, 0, 1000000);
       }},
      {"--api-token-burst", "CHARGELOCK_API_TOKEN_BURST",
       "API requests per token allowed at once after a quiet spell (default 100)", true,
       [](Config& c, const std::string& v) {
         c.api_token_burst = parse_int("--api-token-burst", v, 1, 1000000);
       }},
      {"--workers", "CHARGELOCK_WORKERS", "database worker threads (default 4)", true,
       [](Config& c, const std::string& v) { c.workers = parse_int("--workers", v, 1, 256); }},
      {"--worker-nice", "CHARGELOCK_WORKER_NICE",
       "added to the OCPP workers' nice value, so the websocket loop and a pile's urgent CALLs "
       "get the CPU first (default 5; 0 = unchanged)",
       true,
       [](Config& c, const std::string& v) {
         c.worker_nice = parse_int("--worker-nice", v, 0, 19);
       }},
      {"--autogroup-nice", "CHARGELOCK_AUTOGROUP_NICE",
       "nice value (-20..19) of chargelock's session against other sessions such as each "
       "PostgreSQL backend (Linux autogroup scheduling); below 0 needs root or CAP_SYS_NICE, "
       "refused: a warning (default 0 = unchanged)",
       true,
       [](Config& c, const std::string& v) {
         c.autogroup_nice = parse_int("--autogroup-nice", v, -20, 19);
       }},
      {"--loop-realtime-priority", "CHARGELOCK_LOOP_REALTIME_PRIORITY",
       "run the OCPP and API loops and the urgent-CALL worker at this SCHED_RR real-time "
       "priority (1..10), ahead of bulk work and PostgreSQL; needs root or CAP_SYS_NICE, "
       "refused: a warning (default 0 = off)",
       true,
       [](Config& c, const std::string& v) {
         c.loop_realtime_priority = parse_int("--loop-realtime-priority", v, 0, 10);
       }},
      {"--log-level", "CHARGELOCK_LOG_LEVEL", "error | warn | info | debug (default info)", true,
       [](Config& c, const std::string& v) {
         core::LogLevel level;
         if (!core::parse_log_level(v, level))
           throw ConfigError(fmt::format("--log-level: unknown level '{}'", v));
         c.log_level = v;
       }},
      {"--log-format", "CHARGELOCK_LOG_FORMAT",
       "text | json: one JSON object per line (time, level, node, chargePointId, messageId, "
       "event, message) (default text)",
       true,
       [](Config& c, const std::string& v) {
         if (!core::parse_log_format(v, c.log_format))
           throw ConfigError(fmt::format("--log-format: expected text or json, got '{}'", v));
       }},
  };
  return all;
}

void validate(const Config& config) {
  if (config.ocpp_tls_listen) {
    if (config.tls_cert.empty() || config.tls_key.empty())
      throw ConfigError(
          "--ocpp-tls-listen needs --tls-cert and --tls-key (CHARGELOCK_TLS_CERT, "
          "CHARGELOCK_TLS_KEY)");
  }
  require_readable("--tls-cert", config.tls_cert);
  require_readable("--tls-key", config.tls_key);
  require_readable("--tls-ca", config.tls_ca);
  if (config.api_tls_cert.empty() != config.api_tls_key.empty())
    throw ConfigError(
        "--api-tls-cert and --api-tls-key go together (CHARGELOCK_API_TLS_CERT, "
        "CHARGELOCK_API_TLS_KEY)");
  require_readable("--api-tls-cert", config.api_tls_cert);
  require_readable("--api-tls-key", config.api_tls_key);
  require_readable("--webhook-ca", config.webhook_ca);
  static const char* const commands[] = {"serve", "ocpp", "api", "migrate", "chargepoint"};
  bool known = false;
  for (const char* c : commands) known = known || config.command == c;
  if (!known) throw ConfigError(fmt::format("unknown command '{}' (see --help)", config.command));
}

}  // namespace

ParseResult parse_config(int argc, const char* const argv[]) {
  ParseResult result;
  Config& config = result.config;
  // Environment first, so flags override it.
  for (const Setting& s : settings()) {
    if (const char* value = std::getenv(s.env)) s.apply(config, value);
  }
  bool have_command = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      result.wants_help = true;
      continue;
    }
    if (arg.rfind("--", 0) == 0) {
      std::string value;
      bool has_inline = false;
      if (const auto eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
      const Setting* match = nullptr;
      for (const Setting& s : settings())
        if (arg == s.flag) match = &s;
      if (match == nullptr) {
        if (have_command) {  // options of a sub-command (chargepoint add --password ...)
          config.arguments.push_back(argv[i]);
          continue;
        }
        throw ConfigError(fmt::format("unknown flag '{}' (see --help)", arg));
      }
      if (match->takes_value && !has_inline) {
        if (i + 1 >= argc) throw ConfigError(fmt::format("{} needs a value", arg));
        value = argv[++i];
      } else if (!match->takes_value && !has_inline) {
        value = "true";
      }
      match->apply(config, value);
      continue;
    }
    if (!have_command) {
      config.command = arg;
      have_command = true;
    } else {
      config.arguments.push_back(arg);
    }
  }
  if (!result.wants_help) validate(config);
  return result;
}

std::string node_id(const Config& config) {
  if (!config.node_id.empty()) return config.node_id;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  return fmt::format("{}:{}", host, config.ocpp_listen.port);
}

std::string usage() {
  std::string text =
      "Usage: chargelock [COMMAND] [FLAGS]\n\n"
      "Commands:\n"
      "  serve        OCPP central system and REST API in one process (default)\n"
      "  ocpp         OCPP websocket node only\n"
      "  api          REST API only\n"
      "  migrate      apply database migrations and exit\n"
      "  chargepoint add ID [--password P] [--profile 1|2|3] [--lat X --lon Y] [--pending]\n"
      "               register a charge point and exit\n\n"
      "Flags (each also read from its environment variable; the flag wins):\n";
  for (const Setting& s : settings()) {
    text += fmt::format("  {:<22} {:<30} {}\n", std::string(s.flag) + (s.takes_value ? " V" : ""),
                        s.env, s.help);
  }
  return text;
}

}  // namespace chargelock::app
