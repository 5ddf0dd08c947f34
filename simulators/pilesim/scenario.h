// Scenario files: timed actions a tester replays, e.g. a theft-and-catch
// story. Format (docs/pilesim.md):
//
//   {"duration": 120,
//    "vehicles": {"stolen": {"vin": "WVWZZZ1JZXW000001", "idTag": "TAG-STOLEN"}},
//    "actions": [
//      {"at": 5,  "action": "plug",    "pile": "SIM-1", "connector": 1, "vehicle": "stolen"},
//      {"at": 10, "action": "start",   "pile": 1, "connector": 1},
//      {"at": 60, "action": "stop",    "pile": 1, "connector": 1},
//      {"at": 65, "action": "unplug",  "pile": 1, "connector": 1},
//      {"at": 70, "action": "drop",    "pile": 1},
//      {"at": 80, "action": "offline", "pile": 1, "seconds": 30}]}
//
// "pile" is a pile id or the number {n} of the id pattern; "vehicle" is a
// name from "vehicles" or an inline object; "at" is seconds since start.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "simulators/pilesim/vehicle.h"

namespace chargelock::pilesim {

enum class ScenarioVerb { Plug, Unplug, Start, Stop, Drop, Offline };

struct ScenarioAction {
  double at_s = 0;
  ScenarioVerb verb = ScenarioVerb::Plug;
  std::variant<std::string, int> pile;  // id, or the {n} of the pattern
  int connector = 1;
  Vehicle vehicle;         // plug
  bool auto_start = true;  // plug: start charging at once (the driver taps the card)
  double seconds = 0;      // offline
};

struct Scenario {
  std::vector<ScenarioAction> actions;  // sorted by time (stable)
  std::optional<double> duration_s;
};

class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ScenarioError naming the place, e.g. "actions[2].connector: …".
Scenario parse_scenario(std::string_view json_text);
Scenario load_scenario(const std::string& path);

std::string_view to_string(ScenarioVerb verb);

}  // namespace chargelock::pilesim
