// Read-only queries the operator API needs beyond the per-domain stores:
// the message log read forwards, and every connector at once. Implemented in
// storage/postgres/operator_query_store.cpp; make one with
// make_operator_query_store().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/connector_store.h"
#include "storage/message_log_store.h"

namespace chargelock::storage {

class Database;

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
  virtual std::vector<ConnectorStatusRecord> connectors_between(const std::string& after,
                                                                const std::string& through) = 0;
};

std::unique_ptr<OperatorQueryStore> make_operator_query_store(Database& database);

}  // namespace chargelock::storage
