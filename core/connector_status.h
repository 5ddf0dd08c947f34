// A connector's state as a StatusNotification reports it.
#pragma once

#include <optional>
#include <string>

#include "core/timestamp.h"

namespace chargelock::core {

// One StatusNotification. connector_id 0 is the charge point itself.
struct ConnectorStatus {
  std::string charge_point_id;
  int connector_id = 0;
  std::string status;      // OCPP ChargePointStatus, e.g. "Available"
  std::string error_code;  // OCPP ChargePointErrorCode, e.g. "NoError"
  std::optional<std::string> info;
  std::optional<std::string> vendor_id;
  std::optional<std::string> vendor_error_code;
  std::optional<Timestamp> timestamp;  // as reported by the pile
  Timestamp received_at;               // set by the store
};

}  // namespace chargelock::core
