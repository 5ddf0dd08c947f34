// Meter values: one row per sampled value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/timestamp.h"

namespace chargelock::core {

// One OCPP SampledValue with the MeterValue it belongs to. Optional fields
// are stored as the pile sent them: none means the OCPP default applies
// (context Sample.Periodic, format Raw, measurand
// Energy.Active.Import.Register, location Outlet, unit Wh).
struct MeterValueRecord {
  std::string charge_point_id;
  int connector_id = 0;
  std::optional<int> transaction_id;
  Timestamp timestamp;
  std::string value;
  std::optional<std::string> context;
  std::optional<std::string> format;
  std::optional<std::string> measurand;
  std::optional<std::string> phase;
  std::optional<std::string> location;
  std::optional<std::string> unit;
};

class MeterValueStore {
 public:
  virtual ~MeterValueStore() = default;
  // Appends all values in one transaction. Throws NotFoundError for an
  // unknown charge point.
  virtual void append(const std::vector<MeterValueRecord>& values) = 0;
  // In timestamp order (then arrival order).
  virtual std::vector<MeterValueRecord> for_transaction(int transaction_id) = 0;
};

}  // namespace chargelock::core
