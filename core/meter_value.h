// Meter values: what a pile samples (OCPP 1.6 MeterValue and SampledValue)
// and the record kept of each sampled value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/timestamp.h"

namespace chargelock::core {

// OCPP 1.6 SampledValue; optional fields are kept as sent: none means the
// OCPP default applies (context Sample.Periodic, format Raw, measurand
// Energy.Active.Import.Register, location Outlet, unit Wh).
struct SampledValue {
  std::string value;
  std::optional<std::string> context;
  std::optional<std::string> format;
  std::optional<std::string> measurand;
  std::optional<std::string> phase;
  std::optional<std::string> location;
  std::optional<std::string> unit;
};

struct MeterValue {
  Timestamp timestamp;
  std::vector<SampledValue> sampled_values;
};

// One sampled value with the MeterValue and the call it came in.
struct MeterValueRecord {
  std::string charge_point_id;
  int connector_id = 0;
  std::optional<int> transaction_id;
  Timestamp timestamp;
  SampledValue sampled;
};

}  // namespace chargelock::core
