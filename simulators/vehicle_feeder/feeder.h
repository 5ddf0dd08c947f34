// vehicle-feeder: a simulated vehicle cloud platform. N vehicles drive
// around a start point, their batteries draining while they drive, and each
// interval every vehicle's state of charge and position is posted to
// ChargeLock's telematics endpoint (POST /api/v1/telematics/status).
//
// Model: a vehicle drives at --speed km/h on a heading that wanders a few
// degrees per step, and loses --drain-rate percent of charge per minute of
// driving. At --park-soc it parks (position and charge stay). Times are
// real time: a report carries the wall-clock time of its step.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace chargelock::feeder {

struct Options {
  std::string url = "http://127.0.0.1:8080";  // the API; /api/v1 is added unless present
  std::string token;                          // telematics bearer token
  std::string ca_file;                        // https: CA of the server certificate
  int count = 1;
  std::string vin_pattern = "5YJSA1E2{n}";  // {n}: the vehicle number, zero-padded to 17
  int first = 1;                            // number of the first vehicle
  double interval_s = 5;
  double duration_s = 0;    // 0: until SIGINT/SIGTERM
  double drain_rate = 0.5;  // percent per minute of driving
  double start_soc = 80;    // percent; each vehicle ±5 around it
  double park_soc = 5;      // percent: stop driving (and draining) here
  double speed_kmh = 50;
  double lat = 52.52;  // start area centre (each vehicle within ~5 km)
  double lon = 13.405;
  std::uint32_t seed = 1;
  bool quiet = false;
  bool json = false;
};

// Parses argv; throws std::invalid_argument naming the option. `help` is
// set for --help.
Options parse_options(int argc, const char* const argv[], bool& help);
std::string usage();

// The VIN of vehicle `n`: {n} (at most once) replaced by n zero-padded so
// that the VIN has 17 characters (without {n}: the number is appended),
// upper-cased. Throws std::invalid_argument when it cannot be 17 valid
// characters.
std::string vin_for(const std::string& pattern, int n);

struct Vehicle {
  std::string vin;
  double soc = 80;
  double lat = 0;
  double lon = 0;
  double heading_deg = 0;
  bool driving = true;
};

class Fleet {
 public:
  explicit Fleet(const Options& options);
  // Advances every vehicle by `seconds` of driving.
  void advance(double seconds);
  std::vector<Vehicle>& vehicles() { return vehicles_; }

 private:
  Options options_;
  std::mt19937 random_;
  std::vector<Vehicle> vehicles_;
};

// The JSON body of a report.
std::string report_json(const Vehicle& vehicle, const std::string& timestamp);

}  // namespace chargelock::feeder
