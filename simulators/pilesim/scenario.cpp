#include "simulators/pilesim/scenario.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "simulators/pilesim/json_util.h"

namespace chargelock::pilesim {
namespace {

Vehicle parse_vehicle(const rapidjson::Value& value, const std::string& where) {
  if (!value.IsObject()) throw ScenarioError(where + ": expected an object");
  Vehicle vehicle;
  for (const auto& member : value.GetObject()) {
    const std::string key = member.name.GetString();
    const auto& v = member.value;
    auto text = [&]() {
      if (!v.IsString()) throw ScenarioError(where + "." + key + ": expected a string");
      return std::string(v.GetString(), v.GetStringLength());
    };
    auto number = [&]() {
      if (!v.IsNumber()) throw ScenarioError(where + "." + key + ": expected a number");
      return v.GetDouble();
    };
    if (key == "idTag") {
      vehicle.id_tag = text();
      if (vehicle.id_tag.size() > 20) throw ScenarioError(where + ".idTag: at most 20 characters");
    } else if (key == "evccId") {
      vehicle.evcc_id = text();
    } else if (key == "vin") {
      vehicle.vin = text();
    } else if (key == "soc") {
      vehicle.soc_percent = std::clamp(number(), 0.0, 100.0);
    } else if (key == "capacityKwh") {
      vehicle.capacity_kwh = number();
    } else if (key == "maxPowerKw") {
      vehicle.max_power_kw = number();
    } else {
      throw ScenarioError(where + "." + key + ": unknown vehicle field");
    }
  }
  if (vehicle.id_tag.empty() && vehicle.evcc_id.empty() && vehicle.vin.empty()) {
    throw ScenarioError(where + ": a vehicle needs an idTag, evccId or vin");
  }
  return vehicle;
}

}  // namespace

std::string_view to_string(ScenarioVerb verb) {
  switch (verb) {
    case ScenarioVerb::Plug:
      return "plug";
    case ScenarioVerb::Unplug:
      return "unplug";
    case ScenarioVerb::Start:
      return "start";
    case ScenarioVerb::Stop:
      return "stop";
    case ScenarioVerb::Drop:
      return "drop";
    case ScenarioVerb::Offline:
      return "offline";
  }
  return "?";
}

Scenario parse_scenario(std::string_view json_text) {
  rapidjson::Document document;
  document.Parse(json_text.data(), json_text.size());
  if (document.HasParseError()) {
    throw ScenarioError(std::string("not valid JSON at offset ") +
                        std::to_string(document.GetErrorOffset()) + ": " +
                        rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (!document.IsObject()) throw ScenarioError("expected a JSON object");
  Scenario scenario;
  if (const auto* duration = json::member(document, "duration")) {
    if (!duration->IsNumber() || duration->GetDouble() < 0) {
      throw ScenarioError("duration: expected seconds >= 0");
    }
    scenario.duration_s = duration->GetDouble();
  }
  std::map<std::string, Vehicle> vehicles;
  if (const auto* named = json::member(document, "vehicles")) {
    if (!named->IsObject()) throw ScenarioError("vehicles: expected an object of named vehicles");
    for (const auto& member : named->GetObject()) {
      const std::string name = member.name.GetString();
      vehicles[name] = parse_vehicle(member.value, "vehicles." + name);
    }
  }
  const auto* actions = json::member(document, "actions");
  if (actions == nullptr || !actions->IsArray()) throw ScenarioError("actions: expected an array");
  for (rapidjson::SizeType i = 0; i < actions->Size(); ++i) {
    const auto& item = (*actions)[i];
    const std::string where = "actions[" + std::to_string(i) + "]";
    if (!item.IsObject()) throw ScenarioError(where + ": expected an object");
    ScenarioAction action;
    const auto at = json::number(item, "at");
    if (!at || *at < 0) throw ScenarioError(where + ".at: expected seconds >= 0");
    action.at_s = *at;
    const std::string verb = json::string(item, "action").value_or("");
    static const std::pair<const char*, ScenarioVerb> kVerbs[] = {
        {"plug", ScenarioVerb::Plug},   {"unplug", ScenarioVerb::Unplug},
        {"start", ScenarioVerb::Start}, {"stop", ScenarioVerb::Stop},
        {"drop", ScenarioVerb::Drop},   {"offline", ScenarioVerb::Offline}};
    bool known = false;
    for (const auto& [name, value] : kVerbs) {
      if (verb == name) {
        action.verb = value;
        known = true;
      }
    }
    if (!known) {
      throw ScenarioError(where + ".action: expected plug, unplug, start, stop, drop or offline");
    }
    const auto* pile = json::member(item, "pile");
    if (pile != nullptr && pile->IsString() && pile->GetStringLength() > 0) {
      action.pile = std::string(pile->GetString(), pile->GetStringLength());
    } else if (pile != nullptr && pile->IsInt()) {
      action.pile = pile->GetInt();
    } else {
      throw ScenarioError(where + ".pile: expected a pile id or number");
    }
    if (const auto* connector = json::member(item, "connector")) {
      if (!connector->IsInt() || connector->GetInt() < 1) {
        throw ScenarioError(where + ".connector: expected a connector number >= 1");
      }
      action.connector = connector->GetInt();
    }
    if (action.verb == ScenarioVerb::Plug) {
      const auto* vehicle = json::member(item, "vehicle");
      if (vehicle == nullptr) throw ScenarioError(where + ".vehicle: required for plug");
      if (vehicle->IsString()) {
        const auto it = vehicles.find(vehicle->GetString());
        if (it == vehicles.end()) {
          throw ScenarioError(where + ".vehicle: no vehicle named '" +
                              std::string(vehicle->GetString()) + "' in vehicles");
        }
        action.vehicle = it->second;
      } else {
        action.vehicle = parse_vehicle(*vehicle, where + ".vehicle");
      }
      if (const auto* start = json::member(item, "autoStart")) {
        if (!start->IsBool()) throw ScenarioError(where + ".autoStart: expected true or false");
        action.auto_start = start->GetBool();
      }
    }
    if (action.verb == ScenarioVerb::Offline) {
      const auto seconds = json::number(item, "seconds");
      if (!seconds || *seconds <= 0) throw ScenarioError(where + ".seconds: expected seconds > 0");
      action.seconds = *seconds;
    }
    scenario.actions.push_back(std::move(action));
  }
  std::stable_sort(
      scenario.actions.begin(), scenario.actions.end(),
      [](const ScenarioAction& a, const ScenarioAction& b) { return a.at_s < b.at_s; });
  return scenario;
}

Scenario load_scenario(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw ScenarioError(path + ": cannot be read");
  std::ostringstream text;
  text << file.rdbuf();
  try {
    return parse_scenario(text.str());
  } catch (const ScenarioError& error) {
    throw ScenarioError(path + ": " + error.what());
  }
}

}  // namespace chargelock::pilesim
