// Reads for the operator API that no domain service offers: the message log
// of a charge point in pages, and the connectors of every charge point.
//
// Threading: called on worker threads; blocks on the database.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/stores/connector_store.h"
#include "core/stores/message_log_store.h"
#include "core/timestamp.h"

namespace chargelock::core {

class EventStore;
class OperatorQueryStore;
class Stores;

struct MessagePageRequest {
  std::optional<std::int64_t> before_id;  // newest first, ids below this
  std::optional<std::int64_t> after_id;   // oldest first, ids above this
  std::size_t limit = 100;                // 1..1000
};

class OperatorQueries {
 public:
  explicit OperatorQueries(Stores& stores);
  ~OperatorQueries();
  OperatorQueries(const OperatorQueries&) = delete;
  OperatorQueries& operator=(const OperatorQueries&) = delete;

  // With after_id: oldest first from there; otherwise newest first (below
  // before_id when given). Throws std::invalid_argument when both cursors
  // are given.
  std::vector<LoggedFrame> messages(const std::string& charge_point_id,
                                    const MessagePageRequest& request);
  // Oldest first: the charge point's frames since `since` that mention
  // `needle` (a lock id, a matched id tag): a lock's evidence.
  std::vector<LoggedFrame> frames_mentioning(const std::string& charge_point_id,
                                             const std::string& needle, Timestamp since,
                                             std::size_t limit = 200);
  // The status of the newest FirmwareStatusNotification (and of the newest
  // SignedFirmwareStatusNotification, when newer piles send that instead).
  std::optional<std::string> firmware_status(const std::string& charge_point_id);
  // Current connector states, by charge point id, of the charge points with
  // an id above `after` and at most `through` (a page of GET /chargepoints).
  std::map<std::string, std::vector<ConnectorStatus>> connectors_by_charge_point(
      const std::string& after, const std::string& through);

 private:
  MessageLogStore& message_log_;
  EventStore& events_;
  OperatorQueryStore& store_;
};

}  // namespace chargelock::core
