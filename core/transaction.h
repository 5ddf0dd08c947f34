// Charging transactions: a start, a stop and the record of both.
#pragma once

#include <optional>
#include <string>

#include "core/timestamp.h"

namespace chargelock::core {

struct TransactionStart {
  std::string charge_point_id;
  int connector_id = 0;
  std::string id_tag;
  int meter_start = 0;  // Wh
  Timestamp timestamp;
  std::optional<int> reservation_id;
};

struct TransactionStop {
  int transaction_id = 0;
  int meter_stop = 0;  // Wh
  Timestamp timestamp;
  std::optional<std::string> reason;  // OCPP Reason; none means "Local"
  std::optional<std::string> id_tag;
};

struct TransactionRecord {
  int id = 0;
  std::string charge_point_id;
  int connector_id = 0;
  std::string id_tag;
  int meter_start = 0;
  Timestamp start_timestamp;
  std::optional<int> reservation_id;
  std::optional<int> meter_stop;
  std::optional<Timestamp> stop_timestamp;  // none while the transaction is open
  std::optional<std::string> stop_reason;
  std::optional<std::string> stop_id_tag;
};

struct StartOutcome {
  int transaction_id = 0;
  bool created = false;  // false: the same start was recorded before
};

}  // namespace chargelock::core
