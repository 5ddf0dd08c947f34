// Read-only queries the operator API needs beyond the per-domain stores:
// the message log read forwards, and every connector at once. Reached
// through Stores::operator_queries().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/stores/connector_store.h"
#include "core/stores/message_log_store.h"

namespace chargelock::core {

class OperatorQueryStore {
 public:
  virtual ~OperatorQueryStore() = default;
  // Oldest first: at most `limit` frames of the charge point with an id
  // above `after_id`. Page on with the last id returned.
  virtual std::vector<LoggedFrame> messages_after(const std::string& charge_point_id,
                                                  std::int64_t after_id, std::size_t limit) = 0;
  // The current state of every connector of the charge points whose id is
  // above `after` and at most `through` (a page of charge points), ordered
  // by charge point id and connector id.
  virtual std::vector<ConnectorStatus> connectors_between(const std::string& after,
                                                          const std::string& through) = 0;
};

}  // namespace chargelock::core
