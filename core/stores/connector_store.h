// Connector state as last reported by StatusNotification, and its history.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/connector_status.h"
#include "core/timestamp.h"

namespace chargelock::core {

class ConnectorStore {
 public:
  virtual ~ConnectorStore() = default;

  // Replaces the connector's current state and appends it to the history,
  // in one transaction. Throws NotFoundError when the charge point is not
  // registered. (The pile's last_seen is the OCPP node's business: see
  // ChargePointStore::touch_many.)
  virtual void record_status(const ConnectorStatus& status) = 0;

  // Current state of each connector, ordered by connector id.
  virtual std::vector<ConnectorStatus> list(const std::string& charge_point_id) = 0;
  // Newest first, at most `limit` entries.
  virtual std::vector<ConnectorStatus> history(const std::string& charge_point_id, int connector_id,
                                               std::size_t limit) = 0;
};

}  // namespace chargelock::core
