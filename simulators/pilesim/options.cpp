#include "simulators/pilesim/options.h"

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "base/url.h"

namespace chargelock::pilesim {
namespace {

double to_number(const std::string& flag, const std::string& value, double min, double max) {
  char* end = nullptr;
  const double number = std::strtod(value.c_str(), &end);
  if (value.empty() || end == nullptr || *end != '\0' || !std::isfinite(number) || number < min ||
      number > max) {
    throw OptionError(flag + ": expected a number from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got '" + value + "'");
  }
  return number;
}

int to_int(const std::string& flag, const std::string& value, int min, int max) {
  const double number = to_number(flag, value, min, max);
  if (number != std::floor(number)) throw OptionError(flag + ": expected a whole number");
  return static_cast<int>(number);
}

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
  base::Url parsed;
  try {
    parsed = base::parse_url(text);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  if (parsed.scheme != "ws" && parsed.scheme != "wss") return std::nullopt;
  Url url;
  url.tls = parsed.tls();
  url.host = parsed.host;
  url.port = parsed.port;
  url.path = parsed.target;
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  return url;
}

bool in_even_share(int index, double fraction) {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  return std::floor((index + 1) * fraction) > std::floor(index * fraction);
}

std::string usage() {
  return R"(usage: pilesim --url ws://HOST:PORT/ocpp [options]

Runs simulated OCPP 1.6J charge points (with the ChargeLock lock extension)
against a central system; all piles share one event loop.

  --url URL               ws:// or wss:// endpoint; the pile id is appended
  --count N               number of piles (default 1)
  --first N               {n} of the first pile (default 1)
  --id-pattern P          pile ids, {n} is the number (default SIM-{n})
  --password-pattern P    HTTP Basic auth password (profiles 1, 2), {n} allowed
  --ca FILE               CA certificate that verifies the server (wss)
  --cert-pattern P        client certificate per pile, PEM (profile 3)
  --key-pattern P         its private key, PEM (profile 3)
  --connectors K          connectors per pile (default 1)
  --standard              all piles lack the lock extension
  --standard-fraction F   share 0..1 of piles without the lock extension
  --no-hold               extension piles match locked vehicles but cannot hold
                          the cable: VehicleLocked "held":false
  --no-hold-fraction F    share 0..1 of the extension piles that cannot hold
  --hashed-matching       extension piles declare Capabilities sha256 after boot
                          and accept hashed LockVehicle data
  --scenario FILE         JSON file of timed actions (docs/pilesim.md)
  --busy                  random plug-ins and charging sessions
  --busy-idle S           busy mode: mean seconds a connector stays free (120)
  --busy-session S        busy mode: mean seconds a vehicle stays (600)
  --busy-tags N           busy mode: id tags from BUSY-1..BUSY-N (default: random)
  --duration S            stop after S seconds (default: until Ctrl-C)
  --rate R                new connections per second at start (default 200)
  --max-power-kw KW       power per connector (default 22)
  --call-timeout S        seconds to wait for an answer to a CALL (default 30)
  --vendor V, --model M   BootNotification vendor and model
  --seed N                random seed (default 1)
  --flood KIND            round-trip load: heartbeat|status|meter, one CALL after
                          another per pile once all are booted; reports calls/s,
                          latency p50/p99/max and pilesim's CPU (docs/pilesim.md)
  --flood-duration S      length of the measured window (default 30)
  --flood-wait S          longest wait for all piles to boot (default 600)
  --flood-samples K       sampled values per flood MeterValues, 1..8 (default 4)
  --json                  print the summary as JSON
  --quiet                 no per-event lines
  --verbose               also libwebsockets warnings
  --help                  this text
)";
}

Options parse_options(int argc, const char* const* argv) {
  Options options;
  bool have_url = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> inline_value;
    if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) throw OptionError(flag + ": missing value");
      return args[++i];
    };
    auto no_value = [&]() {
      if (inline_value) throw OptionError(flag + ": takes no value");
    };
    if (flag == "--url") {
      const std::string text = value();
      auto url = parse_url(text);
      if (!url)
        throw OptionError("--url: expected ws://HOST:PORT/PATH or wss://…, got '" + text + "'");
      options.url = *url;
      have_url = true;
    } else if (flag == "--count") {
      options.count = to_int(flag, value(), 1, 1000000);
    } else if (flag == "--first") {
      options.first = to_int(flag, value(), 0, 1000000000);
    } else if (flag == "--id-pattern") {
      options.id_pattern = value();
    } else if (flag == "--password-pattern") {
      options.password_pattern = value();
    } else if (flag == "--ca") {
      options.ca = value();
    } else if (flag == "--cert-pattern") {
      options.cert_pattern = value();
    } else if (flag == "--key-pattern") {
      options.key_pattern = value();
    } else if (flag == "--connectors") {
      options.connectors = to_int(flag, value(), 1, 32);
    } else if (flag == "--standard") {
      no_value();
      options.standard_fraction = 1;
    } else if (flag == "--standard-fraction") {
      options.standard_fraction = to_number(flag, value(), 0, 1);
    } else if (flag == "--no-hold") {
      no_value();
      options.no_hold_fraction = 1;
    } else if (flag == "--no-hold-fraction") {
      options.no_hold_fraction = to_number(flag, value(), 0, 1);
    } else if (flag == "--hashed-matching") {
      no_value();
      options.hashed_matching = true;
    } else if (flag == "--scenario") {
      options.scenario = value();
    } else if (flag == "--busy") {
      no_value();
      options.busy = true;
    } else if (flag == "--busy-idle") {
      options.busy_idle_s = to_number(flag, value(), 1, 1e7);
    } else if (flag == "--busy-session") {
      options.busy_session_s = to_number(flag, value(), 1, 1e7);
    } else if (flag == "--busy-tags") {
      options.busy_tags = static_cast<int>(to_number(flag, value(), 0, 1e8));
    } else if (flag == "--duration") {
      options.duration_s = to_number(flag, value(), 0, 1e9);
    } else if (flag == "--rate") {
      options.rate = to_number(flag, value(), 0.01, 1e6);
    } else if (flag == "--max-power-kw") {
      options.max_power_kw = to_number(flag, value(), 0.1, 1000);
    } else if (flag == "--call-timeout") {
      options.call_timeout_s = to_int(flag, value(), 1, 3600);
    } else if (flag == "--vendor") {
      options.vendor = value();
    } else if (flag == "--model") {
      options.model = value();
    } else if (flag == "--seed") {
      options.seed = static_cast<std::uint32_t>(to_number(flag, value(), 0, 4294967295.0));
    } else if (flag == "--flood") {
      options.flood = value();
      if (options.flood != "heartbeat" && options.flood != "status" && options.flood != "meter")
        throw OptionError("--flood: expected heartbeat, status or meter, got '" + options.flood +
                          "'");
    } else if (flag == "--flood-duration") {
      options.flood_duration_s = to_number(flag, value(), 0.1, 86400);
    } else if (flag == "--flood-wait") {
      options.flood_wait_s = to_number(flag, value(), 0, 86400);
    } else if (flag == "--flood-samples") {
      options.flood_samples = to_int(flag, value(), 1, 8);
    } else if (flag == "--json") {
      no_value();
      options.json = true;
    } else if (flag == "--quiet") {
      no_value();
      options.quiet = true;
    } else if (flag == "--verbose") {
      no_value();
      options.verbose = true;
    } else if (flag == "--help" || flag == "-h") {
      options.help = true;
      return options;
    } else {
      throw OptionError(flag + ": unknown option (see --help)");
    }
  }
  if (!have_url) throw OptionError("--url: required (e.g. ws://127.0.0.1:8180/ocpp)");
  if (options.id_pattern.empty()) throw OptionError("--id-pattern: must not be empty");
  if (options.count > 1 && options.id_pattern.find("{n}") == std::string::npos) {
    throw OptionError("--id-pattern: needs {n} when --count is above 1");
  }
  if (options.cert_pattern.empty() != options.key_pattern.empty()) {
    throw OptionError("--cert-pattern and --key-pattern go together");
  }
  if (!options.url.tls && (!options.cert_pattern.empty() || !options.ca.empty())) {
    throw OptionError("--ca/--cert-pattern need a wss:// --url");
  }
  return options;
}

}  // namespace chargelock::pilesim
