#include "core/operator_queries.h"

#include <algorithm>
#include <stdexcept>

#include "core/stores/event_store.h"
#include "core/stores/operator_query_store.h"
#include "core/stores/stores.h"

namespace chargelock::core {

OperatorQueries::OperatorQueries(Stores& stores)
    : message_log_(stores.message_log()),
      events_(stores.events()),
      store_(stores.operator_queries()) {}

OperatorQueries::~OperatorQueries() = default;

std::vector<LoggedFrame> OperatorQueries::frames_mentioning(const std::string& charge_point_id,
                                                            const std::string& needle,
                                                            Timestamp since, std::size_t limit) {
  if (needle.empty()) return {};
  return message_log_.containing(charge_point_id, needle, since, limit);
}

std::vector<LoggedFrame> OperatorQueries::messages(const std::string& charge_point_id,
                                                   const MessagePageRequest& request) {
  if (request.before_id && request.after_id)
    throw std::invalid_argument("give either before or after, not both");
  const std::size_t limit = std::clamp<std::size_t>(request.limit, 1, 1000);
  if (request.after_id) return store_.messages_after(charge_point_id, *request.after_id, limit);
  return message_log_.page(charge_point_id, request.before_id, limit);
}

std::optional<std::string> OperatorQueries::firmware_status(const std::string& charge_point_id) {
  auto plain = events_.statuses(StatusNotificationKind::Firmware, charge_point_id, 1);
  auto signed_ = events_.statuses(StatusNotificationKind::SignedFirmware, charge_point_id, 1);
  if (plain.empty() && signed_.empty()) return std::nullopt;
  if (signed_.empty()) return plain.front().status;
  if (plain.empty()) return signed_.front().status;
  return plain.front().received_at >= signed_.front().received_at ? plain.front().status
                                                                  : signed_.front().status;
}

std::map<std::string, std::vector<ConnectorStatus>> OperatorQueries::connectors_by_charge_point(
    const std::string& after, const std::string& through) {
  std::map<std::string, std::vector<ConnectorStatus>> out;
  for (auto& connector : store_.connectors_between(after, through))
    out[connector.charge_point_id].push_back(std::move(connector));
  return out;
}

}  // namespace chargelock::core
