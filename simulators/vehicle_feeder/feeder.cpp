#include "simulators/vehicle_feeder/feeder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <stdexcept>

#include "base/pattern.h"

namespace chargelock::feeder {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kEarthRadiusKm = 6371.0;

double number(const std::string& name, const std::string& text, double min, double max) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value < min || value > max)
    throw std::invalid_argument(
        fmt::format("{}: expected a number {}..{}, got '{}'", name, min, max, text));
  return value;
}

int integer(const std::string& name, const std::string& text, int min, int max) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < min || value > max)
    throw std::invalid_argument(
        fmt::format("{}: expected an integer {}..{}, got '{}'", name, min, max, text));
  return static_cast<int>(value);
}

struct Flag {
  const char* name;
  const char* help;
  bool takes_value;
  std::function<void(Options&, const std::string&)> apply;
};

const std::vector<Flag>& flags() {
  static const std::vector<Flag> all = {
      {"--url", "the ChargeLock API, e.g. http://127.0.0.1:8080 (default)", true,
       [](Options& o, const std::string& v) { o.url = v; }},
      {"--token", "telematics bearer token (or CHARGELOCK_TELEMATICS_TOKEN)", true,
       [](Options& o, const std::string& v) { o.token = v; }},
      {"--ca", "CA certificate (PEM) that signs the API's certificate (https URLs)", true,
       [](Options& o, const std::string& v) { o.ca_file = v; }},
      {"--count", "number of vehicles (default 1)", true,
       [](Options& o, const std::string& v) { o.count = integer("--count", v, 1, 100000); }},
      {"--vin-pattern", "VIN pattern; {n} = vehicle number zero-padded to 17 characters", true,
       [](Options& o, const std::string& v) { o.vin_pattern = v; }},
      {"--first", "number of the first vehicle (default 1)", true,
       [](Options& o, const std::string& v) { o.first = integer("--first", v, 0, 999999999); }},
      {"--interval", "seconds between two reports of a vehicle (default 5)", true,
       [](Options& o, const std::string& v) {
         o.interval_s = number("--interval", v, 0.01, 86400);
       }},
      {"--duration", "seconds to run; 0 = until Ctrl-C (default 0)", true,
       [](Options& o, const std::string& v) { o.duration_s = number("--duration", v, 0, 1e9); }},
      {"--drain-rate", "percent of charge per minute of driving (default 0.5)", true,
       [](Options& o, const std::string& v) { o.drain_rate = number("--drain-rate", v, 0, 6000); }},
      {"--start-soc", "mean state of charge at start, percent (default 80)", true,
       [](Options& o, const std::string& v) { o.start_soc = number("--start-soc", v, 0, 100); }},
      {"--park-soc", "percent at which a vehicle stops driving (default 5)", true,
       [](Options& o, const std::string& v) { o.park_soc = number("--park-soc", v, 0, 100); }},
      {"--speed", "km/h while driving (default 50)", true,
       [](Options& o, const std::string& v) { o.speed_kmh = number("--speed", v, 0, 400); }},
      {"--lat", "latitude of the start area (default 52.52)", true,
       [](Options& o, const std::string& v) { o.lat = number("--lat", v, -89, 89); }},
      {"--lon", "longitude of the start area (default 13.405)", true,
       [](Options& o, const std::string& v) { o.lon = number("--lon", v, -180, 180); }},
      {"--seed", "random seed (default 1)", true,
       [](Options& o, const std::string& v) {
         o.seed = static_cast<std::uint32_t>(integer("--seed", v, 0, 2147483647));
       }},
      {"--quiet", "no progress output", false,
       [](Options& o, const std::string&) { o.quiet = true; }},
      {"--json", "print a JSON summary at the end", false,
       [](Options& o, const std::string&) { o.json = true; }},
  };
  return all;
}

}  // namespace

Options parse_options(int argc, const char* const argv[], bool& help) {
  Options options;
  help = false;
  if (const char* token = std::getenv("CHARGELOCK_TELEMATICS_TOKEN")) options.token = token;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      continue;
    }
    std::string value;
    bool inline_value = false;
    if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    const Flag* flag = nullptr;
    for (const Flag& f : flags())
      if (arg == f.name) flag = &f;
    if (flag == nullptr) throw std::invalid_argument("unknown option '" + arg + "' (see --help)");
    if (flag->takes_value && !inline_value) {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      value = argv[++i];
    }
    flag->apply(options, value);
  }
  if (!help) {
    if (options.token.empty())
      throw std::invalid_argument("--token (or CHARGELOCK_TELEMATICS_TOKEN) is required");
    vin_for(options.vin_pattern, options.first + options.count - 1);  // fits 17 characters
  }
  return options;
}

std::string usage() {
  std::string text =
      "Usage: vehicle-feeder --token T [OPTIONS]\n\n"
      "Posts state of charge and position of simulated vehicles to ChargeLock's\n"
      "telematics endpoint (POST /api/v1/telematics/status).\n\nOptions:\n";
  for (const Flag& f : flags())
    text += fmt::format("  {:<18} {}\n", std::string(f.name) + (f.takes_value ? " V" : ""), f.help);
  return text;
}

std::string vin_for(const std::string& pattern, int n) {
  // The number goes where {n} is (once), or at the end; padded with zeros
  // so that the VIN has 17 characters.
  const auto at = pattern.find("{n}");
  if (at != std::string::npos && pattern.find("{n}", at + 3) != std::string::npos)
    throw std::invalid_argument(
        fmt::format("--vin-pattern: '{}' holds {{n}} more than once", pattern));
  const std::string placed = at == std::string::npos ? pattern + "{n}" : pattern;
  const std::size_t fixed = placed.size() - 3;
  if (fixed + std::to_string(n).size() > 17)
    throw std::invalid_argument(
        fmt::format("--vin-pattern: '{}' with number {} is longer than 17 characters", pattern, n));
  std::string vin = base::expand_pattern(placed, n, 17 - fixed);
  for (char& c : vin) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const bool ok =
        (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q') || (c >= '0' && c <= '9');
    if (!ok)
      throw std::invalid_argument(fmt::format(
          "--vin-pattern: '{}' gives '{}'; a VIN has only A-Z (no I, O, Q) and 0-9", pattern, vin));
  }
  return vin;
}

Fleet::Fleet(const Options& options) : options_(options), random_(options.seed) {
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_real_distribution<double> heading(0.0, 360.0);
  for (int i = 0; i < options.count; ++i) {
    Vehicle v;
    v.vin = vin_for(options.vin_pattern, options.first + i);
    v.soc = std::clamp(options.start_soc + 5 * unit(random_), 0.0, 100.0);
    // Within about 5 km of the centre.
    v.lat = options.lat + unit(random_) * 0.045;
    v.lon = options.lon + unit(random_) * 0.045 / std::max(0.01, std::cos(options.lat * kPi / 180));
    v.heading_deg = heading(random_);
    v.driving = v.soc > options.park_soc;
    vehicles_.push_back(v);
  }
}

void Fleet::advance(double seconds) {
  std::normal_distribution<double> turn(0.0, 10.0);
  for (Vehicle& v : vehicles_) {
    if (!v.driving) continue;
    v.soc = std::max(0.0, v.soc - options_.drain_rate * seconds / 60.0);
    if (v.soc <= options_.park_soc) v.driving = false;
    v.heading_deg = std::fmod(v.heading_deg + turn(random_) + 360.0, 360.0);
    const double km = options_.speed_kmh * seconds / 3600.0;
    const double heading = v.heading_deg * kPi / 180;
    v.lat = std::clamp(v.lat + km * std::cos(heading) / kEarthRadiusKm * 180 / kPi, -89.9, 89.9);
    v.lon += km * std::sin(heading) / kEarthRadiusKm * 180 / kPi /
             std::max(0.01, std::cos(v.lat * kPi / 180));
    if (v.lon > 180) v.lon -= 360;
    if (v.lon < -180) v.lon += 360;
  }
}

std::string report_json(const Vehicle& vehicle, const std::string& timestamp) {
  return fmt::format(R"({{"vin":"{}","soc":{:.2f},"lat":{:.6f},"lon":{:.6f},"timestamp":"{}"}})",
                     vehicle.vin, vehicle.soc, vehicle.lat, vehicle.lon, timestamp);
}

}  // namespace chargelock::feeder
