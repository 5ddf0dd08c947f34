#include "app/chargepoint_command.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "app/config.h"

namespace chargelock::app {
namespace {

double parse_degrees(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0')
    throw ConfigError(flag + ": expected a number, got '" + text + "'");
  return value;
}

}  // namespace

int run_chargepoint_command(const std::vector<std::string>& arguments,
                            core::CentralSystem& central) {
  if (arguments.size() < 2 || arguments[0] != "add")
    throw ConfigError(
        "usage: chargelock chargepoint add ID [--password P] [--profile 1|2|3] "
        "[--lat X --lon Y] [--pending|--rejected] [--if-missing]");
  core::ChargePointRegistration registration;
  registration.id = arguments[1];
  std::optional<double> lat;
  std::optional<double> lon;
  bool if_missing = false;
  for (std::size_t i = 2; i < arguments.size(); ++i) {
    const std::string& flag = arguments[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= arguments.size()) throw ConfigError(flag + " needs a value");
      return arguments[++i];
    };
    if (flag == "--password") {
      registration.password = value();
    } else if (flag == "--profile") {
      const std::string& v = value();
      if (v != "1" && v != "2" && v != "3") throw ConfigError("--profile: expected 1, 2 or 3");
      registration.security_profile = v[0] - '0';
    } else if (flag == "--lat") {
      lat = parse_degrees(flag, value());
    } else if (flag == "--lon") {
      lon = parse_degrees(flag, value());
    } else if (flag == "--pending") {
      registration.registration_status = core::RegistrationStatus::Pending;
    } else if (flag == "--rejected") {
      registration.registration_status = core::RegistrationStatus::Rejected;
    } else if (flag == "--if-missing") {
      if_missing = true;
    } else {
      throw ConfigError("chargepoint add: unknown flag '" + flag + "'");
    }
  }
  if (lat.has_value() != lon.has_value()) throw ConfigError("--lat and --lon go together");
  if (lat) registration.location = core::GeoLocation{*lat, *lon};
  if (registration.security_profile < 3 && !registration.password)
    std::fprintf(stderr, "chargelock: warning: %s has no password: any client may use its id\n",
                 registration.id.c_str());
  try {
    if (!central.charge_points().register_charge_point(registration)) {
      if (if_missing) return 0;
      std::fprintf(stderr, "chargelock: charge point %s already exists\n", registration.id.c_str());
      return 1;
    }
  } catch (const std::invalid_argument& error) {
    throw ConfigError(error.what());
  }
  std::printf("chargelock: registered charge point %s (security profile %d)\n",
              registration.id.c_str(), registration.security_profile);
  return 0;
}

}  // namespace chargelock::app
