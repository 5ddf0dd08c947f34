#include "app/chargepoint_command.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <thread>

#include "app/config.h"
#include "base/mutex.h"
#include "base/pattern.h"
#include "storage/database.h"

namespace chargelock::app {
namespace {

double parse_degrees(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0')
    throw ConfigError(flag + ": expected a number, got '" + text + "'");
  return value;
}

long parse_number(const std::string& what, const std::string& text, long min, long max) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < min || value > max)
    throw ConfigError(what + ": expected a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got '" + text + "'");
  return value;
}

int add_range(const std::vector<std::string>& arguments, core::CentralSystem& central) {
  if (arguments.size() < 4)
    throw ConfigError(
        "usage: chargelock chargepoint add-range PREFIX FROM TO [--password-pattern P] "
        "[--profile 1|2|3] [--pending|--rejected] [--jobs J]");
  const std::string prefix = arguments[1];
  const long from = parse_number("FROM", arguments[2], 0, 999999999);
  const long to = parse_number("TO", arguments[3], from, 999999999);
  std::optional<std::string> password_pattern;
  int profile = 1;
  auto status = core::RegistrationStatus::Accepted;
  long jobs = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 4; i < arguments.size(); ++i) {
    const std::string& flag = arguments[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= arguments.size()) throw ConfigError(flag + " needs a value");
      return arguments[++i];
    };
    if (flag == "--password-pattern") {
      password_pattern = value();
    } else if (flag == "--profile") {
      profile = static_cast<int>(parse_number(flag, value(), 1, 3));
    } else if (flag == "--pending") {
      status = core::RegistrationStatus::Pending;
    } else if (flag == "--rejected") {
      status = core::RegistrationStatus::Rejected;
    } else if (flag == "--jobs") {
      jobs = parse_number(flag, value(), 1, 64);
    } else {
      throw ConfigError("chargepoint add-range: unknown flag '" + flag + "'");
    }
  }
  const auto started = std::chrono::steady_clock::now();
  std::atomic<long> next{from};
  std::atomic<long> added{0};
  std::atomic<long> existing{0};
  std::atomic<bool> failed{false};
  // Written under failure_mutex by the first worker that fails, read after
  // every worker is joined (a local cannot carry GUARDED_BY).
  std::string failure;
  base::Mutex failure_mutex;
  auto work = [&] {
    try {
      for (long n = next++; n <= to && !failed; n = next++) {
        core::ChargePointRegistration registration;
        registration.id = prefix + std::to_string(n);
        if (password_pattern) registration.password = base::expand_pattern(*password_pattern, n);
        registration.security_profile = profile;
        registration.registration_status = status;
        ++(central.charge_points().register_charge_point(registration) ? added : existing);
      }
    } catch (const std::exception& error) {
      base::MutexLock lock(failure_mutex);
      if (!failed.exchange(true)) failure = error.what();
    }
    central.stores().release_thread_connection();
  };
  std::vector<std::thread> threads;
  for (long j = 0; j < std::min(jobs, to - from + 1); ++j) threads.emplace_back(work);
  for (auto& thread : threads) thread.join();
  if (failed) throw ConfigError("chargepoint add-range: " + failure);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "chargelock: registered %ld charge points %s%ld..%s%ld (%ld existed already) in %.1f s "
      "with %zu thread(s), %.2f ms each\n",
      added.load(), prefix.c_str(), from, prefix.c_str(), to, existing.load(), seconds,
      threads.size(), added > 0 ? seconds * 1000.0 / static_cast<double>(added.load()) : 0.0);
  return 0;
}

}  // namespace

int run_chargepoint_command(const std::vector<std::string>& arguments,
                            core::CentralSystem& central) {
  if (!arguments.empty() && arguments[0] == "add-range") return add_range(arguments, central);
  if (arguments.size() < 2 || arguments[0] != "add")
    throw ConfigError(
        "usage: chargelock chargepoint add ID [--password P] [--profile 1|2|3] "
        "[--lat X --lon Y] [--pending|--rejected] [--if-missing]\n"
        "       chargelock chargepoint add-range PREFIX FROM TO [--password-pattern P] "
        "[--profile 1|2|3] [--pending|--rejected] [--jobs J]");
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
    std::fprintf(stderr,
                 "chargelock: warning: %s has no password: it connects only to a node started "
                 "with --allow-unauthenticated-piles\n",
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
