// Meter values: one row per sampled value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/meter_value.h"
#include "core/timestamp.h"

namespace chargelock::core {

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
