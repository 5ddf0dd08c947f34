// The one MeterValues payload the simulator sends: the charge points'
// sampled readings (charge_point.cpp) and the flood driver's (flood.cpp).
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chargelock::pilesim {

struct SampledValue {
  std::string value;      // as OCPP sends it: a number in text
  std::string measurand;  // a copy: callers pass names from short-lived lists
  std::string_view unit;
  std::string_view location;
};

// {"connectorId":…,"meterValue":[{"timestamp":…,"sampledValue":[{"value",
// "context","format":"Raw","measurand","location","unit"},…]}]}: one meter
// value at `unix_ms`, every sample with the same reading context.
std::string meter_values_payload(int connector, std::int64_t unix_ms, std::string_view context,
                                 const std::vector<SampledValue>& samples);

}  // namespace chargelock::pilesim
